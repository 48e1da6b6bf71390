from __future__ import annotations

from parity.cli import main

raise SystemExit(main())
