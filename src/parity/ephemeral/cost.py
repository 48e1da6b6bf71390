"""What an ephemeral environment costs per hour, estimated from what it renders (pure): every
always-on pod's requests (Deployments' replicas, or an HPA's minimum) at [ephemeral.cost]'s
per-core and per-GiB rates, plus its warehouse running the whole hour (an upper bound: it
suspends when idle). Jobs and SparkApplications run on demand and are not counted.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from parity.ephemeral import Rates
from parity.infra.snowflake import SIZES

QUANTITY = re.compile(r"^([0-9.]+)(m|Ki|Mi|Gi|Ti|k|M|G)?$")
SCALE = {
    None: 1.0,
    "m": 1e-3,
    "k": 1e3,
    "M": 1e6,
    "G": 1e9,
    "Ki": 2**10,
    "Mi": 2**20,
    "Gi": 2**30,
    "Ti": 2**40,
}


def quantity(text: Any) -> float:
    """A Kubernetes quantity ('250m', '2Gi', '1') as a number; unparseable counts as 0."""
    found = QUANTITY.match(str(text).strip())
    return float(found.group(1)) * SCALE[found.group(2)] if found else 0.0


def _requests(pod: Mapping[str, Any]) -> tuple[float, float]:
    cores = memory = 0.0
    for container in pod.get("containers") or []:
        asked = (container.get("resources") or {}).get("requests") or {}
        cores += quantity(asked.get("cpu", 0))
        memory += quantity(asked.get("memory", 0)) / 2**30
    return cores, memory


def per_hour(documents: Iterable[Mapping[str, Any]], spec: Mapping[str, Any], rates: Rates) -> float:
    documents = list(documents)
    minimum = {
        d["spec"]["scaleTargetRef"]["name"]: int(d["spec"].get("minReplicas", 1))
        for d in documents
        if d.get("kind") == "HorizontalPodAutoscaler"
    }
    total = 0.0
    for d in documents:
        if d.get("kind") not in ("Deployment", "StatefulSet"):
            continue
        replicas = minimum.get(d["metadata"]["name"], int(d["spec"].get("replicas", 1)))
        cores, memory = _requests(d["spec"]["template"]["spec"])
        total += replicas * (cores * rates.cpu_core_hour + memory * rates.memory_gib_hour)
    size = str((spec.get("snowflake") or {}).get("warehouseSize", ""))
    if size in SIZES:
        total += 2 ** SIZES.index(size) * rates.credit  # XSMALL 1 credit an hour, doubling per size
    return round(total, 4)
