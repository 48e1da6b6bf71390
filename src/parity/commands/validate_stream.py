"""`parity validate stream --baseline REF --candidate REF (--events FILE | --topic T ...)`: both
sides' consumers on one replayed masked sample; per subject the events each wrote compared (by id,
per key in order), dead letters and committed offsets; and the declared topic configuration of
every environment, baseline vs candidate and across environments. Exit 1 when anything differs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from parity.errors import FINDINGS, OK, BadInput
from parity.invariants import values_of
from parity.output import emit_json
from parity.policy import Policy
from parity.rendering import render
from parity.validate import batch, logs, stream, streamdiff, topics

SHOWN = streamdiff.SHOWN


def _document(diff: streamdiff.StreamDiff, sides: dict[str, streamdiff.Outcome]) -> dict[str, Any]:
    return {
        "subject": diff.subject,
        "match": diff.match,
        "events": diff.events,
        "ordering_known": diff.ordering_known,
        "changed": [{"id": c.id, "fields": {k: list(v) for k, v in c.fields.items()}} for c in diff.changed],
        "missing": diff.missing,
        "extra": diff.extra,
        "duplicated": {k: list(v) for k, v in diff.duplicated.items()},
        "reordered": {k: {"baseline": a, "candidate": b} for k, (a, b) in diff.reordered.items()},
        "sides": {
            n: {"exit": o.exit, "dead_letters": o.dead_letters, "committed": o.committed}
            for n, o in sides.items()
        },
    }


def run(
    root: Path,
    policy: Policy,
    env: str,
    baseline: str,
    candidate: str,
    recording: list[stream.Recorded],
    output_format: str,
) -> int:
    sides = (batch.resolve(root, baseline, "baseline"), batch.resolve(root, candidate, "candidate"))
    known = stream.identities(root)
    unknown = sorted({r.subject for r in recording} - set(known))
    if unknown:
        raise BadInput(
            f"subject {unknown[0]}",
            f"has no `stream` entry in {batch.SETTINGS}",
            "Give its id and key fields",
        )
    found = topics.release_findings(root, policy, (sides[0].sha, sides[1].sha))
    values = values_of(render(root, env, validate=False).resources)
    declared = topics.at_commit(root, sides[0].sha, [policy.values_env(env)])[policy.values_env(env)]
    partitions = {s: declared[t].partitions for s, t in stream.logical_topics(root).items() if t in declared}
    with logs(root, "stream").scratch("validate-stream") as tmp:
        outcomes = stream.run(root, values, sides, recording, partitions, tmp)
    results = []
    for subject in sorted(outcomes["baseline"]):
        per_side = {name: outcomes[name][subject] for name in ("baseline", "candidate")}
        id_field, key_field = known[subject]
        ordered = all(o.ordering_known for o in per_side.values())
        diff = streamdiff.compare(
            subject, per_side["baseline"].events, per_side["candidate"].events, id_field, key_field, ordered
        )
        results.append((diff, per_side))
        found += streamdiff.subject_findings(subject, diff, per_side)
    if output_format == "json":
        emit_json({"ok": not found, "baseline": {"ref": sides[0].ref, "sha": sides[0].sha},
                   "candidate": {"ref": sides[1].ref, "sha": sides[1].sha},
                   "subjects": [_document(d, s) for d, s in results],
                   "findings": [f.gate_dict() for f in found]})  # fmt: skip
        return FINDINGS if found else OK
    for diff, per_side in results:
        counts = ", ".join(f"{n} {c}" for n, c in diff.events.items())
        letters = f"{per_side['baseline'].dead_letters}/{per_side['candidate'].dead_letters}"
        verdict = "match" if diff.match else "DIFFERS"
        print(f"{diff.subject}: {verdict} (events written: {counts}; dead letters {letters})")
    for finding in found[: SHOWN * 5]:
        print(f"  {finding.subject}: {finding.rule}: {finding.message}")
    verdict = "no differences" if not found else f"{len(found)} difference(s)"
    print(f"parity validate stream {sides[0].sha[:12]} -> {sides[1].sha[:12]}: {len(recording)} message(s) "
          f"replayed, {len(results)} subject(s) compared, {verdict}")  # fmt: skip
    return FINDINGS if found else OK
