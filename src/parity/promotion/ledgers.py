"""Which ledger backend this repository writes: the local file (the default), or S3 with Object
Lock when parity.toml's `ledger.url` or `$PARITY_LEDGER` names an s3:// address."""

from __future__ import annotations

import os
from pathlib import Path

from parity.policy import Policy
from parity.promotion.journal import FileLedger
from parity.promotion.s3ledger import S3Ledger
from parity.promotion.store import state_dir

VARIABLE = "PARITY_LEDGER"

Ledger = FileLedger | S3Ledger


def open_ledger(root: Path, policy: Policy) -> Ledger:
    url = os.environ.get(VARIABLE) or policy.promotion.ledger_url
    return S3Ledger(url) if url else FileLedger(state_dir(root))
