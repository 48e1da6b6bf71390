"""Infrastructure declared next to the workloads, planned against and applied to live state, which
is read directly every time: Kafka topics through the Admin API (`topics`), the AWS stack through
CloudFormation change sets plus the S3, IAM and Secrets Manager APIs (`aws`, `aws_live`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Drift:
    subject: str  # a topic, bucket, role, secret or stack, by its physical name
    field: str  # what differs; "" when the object is missing
    declared: Any
    live: Any  # None when the object is missing
    fix: str  # what apply does about it, or "" when apply cannot change it in place

    def line(self) -> str:
        if not self.field:
            return f"{self.subject}: missing (apply creates it)"
        verb = f"apply will {self.fix}" if self.fix else "apply cannot change this in place"
        return f"{self.subject}: {self.field} is {self.live!r}, declared {self.declared!r} ({verb})"
