"""`parity sample --policy FILE --in SRC --out DST`: a masked sample; only masked values leave."""

from __future__ import annotations

import sys
from pathlib import Path

from parity.errors import OK
from parity.output import emit_json
from parity.validate import policies, sampling


def run(policy_file: Path, src: str, out: str, output_format: str) -> int:
    policy = policies.load_policy(policy_file)
    sampling.check_places(src, out)
    done = sampling.sample(policy, sampling.fetch_key(policy), src, out)
    if output_format == "json":
        emit_json(
            {
                "source": done.source,
                "read": done.read,
                "kept": done.kept,
                "columns": done.columns,
                "dropped": done.dropped,
                "out": done.out,
            }
        )
    else:
        print(
            f"sampled {done.kept} of {done.read} rows of {done.source} into {done.out} "
            f"({done.columns} columns, {done.dropped} dropped)",
            file=sys.stderr,
        )
    return OK
