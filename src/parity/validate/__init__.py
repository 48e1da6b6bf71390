"""Parity validation: masked samples, batch and stream comparison of two releases."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # `parity sample` runs in the dbt image, which has none of the gates' modules
    from parity.gates.workloads import LogKeeper


def logs(root: Path, kind: str) -> LogKeeper:
    """Where a failed run's logs are kept (.parity/validate/logs/KIND-STAMP), for its "See" line."""
    from parity.gates.workloads import LogKeeper
    from parity.promotion import store

    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return LogKeeper(store.state_dir(root) / "validate" / "logs" / f"{kind}-{stamp}")
