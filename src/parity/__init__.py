"""parity: keep a data platform identical across environments, promote and audit releases."""

from __future__ import annotations

__version__ = "0.1.0"
