"""Masking policies and the masks they name (pure: no I/O; the key arrives as bytes).

A policy classifies every column of one source; a column it does not name is an error, never a
passthrough. Every mask is keyed: the same value, column domain and key give the same output, and
another key gives another. The masks:

- `tokenize`: a keyed HMAC token. Integers stay integers (and digit strings stay digits), so keys
  still join and still load into number columns; `domain` (default: the column's name) lets two
  differently named columns share tokens.
- `email`, `phone`, `iban`: format-preserving: each letter or digit is replaced by a keyed one of
  the same class, separators stay; an email keeps its top-level domain, a phone its leading `+` and
  country code, an IBAN its country and gets valid check digits again.
- `date_shift`: every date of one entity moves by the same keyed number of days (never 0), so
  intervals within the entity survive.
- `noise`: a keyed relative noise; the value keeps its type and decimal places.
- `passthrough`, `drop`.
"""

from __future__ import annotations

import hashlib
import hmac
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from parity.errors import BadInput

MASKS = ("tokenize", "email", "phone", "iban", "date_shift", "noise", "passthrough", "drop")
DATE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d")
TOKEN_BITS = 62  # positive in a signed 64-bit column (Spark bigint) and in number(38,0)


@dataclass(frozen=True)
class Mask:
    kind: str
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Sampling:
    fraction: float = 1.0
    entity: str | None = None  # rows are kept or not per entity: the same entities in every table
    strata: tuple[str, ...] = ()
    min_per_stratum: int = 1
    seed: int = 0
    # Keep exactly the rows whose `column` is in the parent source's masked sample (children of
    # kept parents only: a foreign key never points at a row the sample left out).
    within: tuple[str, str] | None = None  # (parent source, column)


@dataclass(frozen=True)
class MaskingPolicy:
    source: str
    key_secret: str  # the Secrets Manager entry holding the HMAC key (the same name in every account)
    key_property: str | None  # its JSON property, or None for the whole secret string
    columns: Mapping[str, Mask]
    sampling: Sampling

    def check_columns(self, names: list[str], where: str) -> None:
        """The source's columns must be exactly the policy's: unclassified ones would leak."""
        missing = [name for name in names if name not in self.columns]
        if missing:
            raise BadInput(
                where,
                f"column{'s' if len(missing) > 1 else ''} {', '.join(missing)} of {self.source} "
                "not classified by the masking policy",
                "Classify every column (tokenize, email, phone, iban, date_shift, noise, passthrough, drop)",
            )
        stale = [name for name in self.columns if name not in names]
        if stale:
            raise BadInput(
                where,
                f"the masking policy classifies {', '.join(stale)}, which {self.source} does not have",
                "Remove the stale column from the policy, or sample the source it was written for",
            )
        within = self.sampling.within[1] if self.sampling.within else None
        needed = {self.sampling.entity, within, *self.sampling.strata} - {None}
        needed |= {m.params["entity"] for m in self.columns.values() if m.kind == "date_shift"}
        absent = sorted(str(name) for name in needed if name not in names)
        if absent:
            raise BadInput(where, f"the policy names {', '.join(absent)}, which are not columns", "Fix it")


def _bad(where: str, problem: str) -> BadInput:
    return BadInput(where, problem, "See pipelines/masking/README.md for the policy's fields")


def _mask(where: str, name: str, spec: Any) -> Mask:
    params: Any
    if isinstance(spec, str):
        kind, params = spec, {}
    elif isinstance(spec, dict) and len(spec) == 1:
        kind, params = next(iter(spec.items()))
        params = params or {}
    else:
        raise _bad(where, f"column {name}: expected a mask name or {{mask: {{params}}}}, got {spec!r}")
    if kind not in MASKS or not isinstance(params, dict):
        raise _bad(where, f"column {name}: unknown mask {kind!r} (one of {', '.join(MASKS)})")
    allowed = {"tokenize": {"domain"}, "date_shift": {"entity", "max_days"}, "noise": {"relative", "digits"}}
    unknown = set(params) - allowed.get(kind, set())
    if unknown:
        raise _bad(where, f"column {name}: {kind} takes no {', '.join(sorted(unknown))}")
    if kind == "date_shift" and (not params.get("entity") or int(params.get("max_days", 30)) < 1):
        raise _bad(where, f"column {name}: date_shift needs entity (a column) and max_days >= 1")
    if kind == "noise" and not 0 < float(params.get("relative", 0.05)) < 1:
        raise _bad(where, f"column {name}: noise relative must be between 0 and 1")
    return Mask(kind, params)


def parse_policy(data: Any, where: str) -> MaskingPolicy:
    if not isinstance(data, dict):
        raise _bad(where, "is not a mapping")
    unknown = set(data) - {"source", "key", "sample", "columns"}
    if unknown:
        raise _bad(where, f"unknown field(s) {', '.join(sorted(unknown))}")
    key, columns, sample = data.get("key") or {}, data.get("columns"), data.get("sample") or {}
    if (
        not isinstance(data.get("source"), str)
        or not isinstance(key, dict)
        or not key.get("name")
        or set(key) - {"name", "property"}
    ):
        raise _bad(
            where, "needs source (the table it masks) and key: {name, property} (a Secrets Manager entry)"
        )
    if not isinstance(columns, dict) or not columns:
        raise _bad(where, "needs columns: every column of the source, each with its mask")
    fields = {"fraction", "entity", "strata", "min_per_stratum", "seed", "within"}
    if not isinstance(sample, dict) or set(sample) - fields:
        raise _bad(where, f"sample takes {', '.join(sorted(fields))}")
    within = sample.get("within")
    if within is not None and (
        not isinstance(within, dict)
        or set(within) != {"source", "column"}
        or set(sample) & {"fraction", "entity", "strata"}
    ):
        raise _bad(where, "sample.within takes source and column, and no fraction, entity or strata")
    try:
        sampling = Sampling(
            fraction=float(sample.get("fraction", 1.0)),
            entity=sample.get("entity"),
            strata=tuple(sample.get("strata") or ()),
            min_per_stratum=int(sample.get("min_per_stratum", 1)),
            seed=int(sample.get("seed", 0)),
            within=(str(within["source"]), str(within["column"])) if within else None,
        )
    except (TypeError, ValueError) as exc:
        raise _bad(where, f"sample: {exc}") from None
    if not 0 < sampling.fraction <= 1:
        raise _bad(where, "sample.fraction must be in (0, 1]")
    masks = {str(name): _mask(where, str(name), spec) for name, spec in columns.items()}
    if sampling.within and masks.get(sampling.within[1], Mask("")).kind != "tokenize":
        raise _bad(where, f"sample.within: column {sampling.within[1]} must be tokenized to match its parent")
    prop = key.get("property")
    return MaskingPolicy(
        data["source"], str(key["name"]), None if prop is None else str(prop), masks, sampling
    )


class _Draws:
    """Keyed numbers below `n`, one after the other (HMAC in counter mode)."""

    def __init__(self, block: Callable[[int], bytes]) -> None:
        self.block, self.counter, self.left = block, 0, b""

    def __call__(self, n: int) -> int:
        if len(self.left) < 2:
            self.left, self.counter = self.block(self.counter), self.counter + 1
        pair, self.left = self.left[:2], self.left[2:]
        return int.from_bytes(pair, "big") % n


class Masker:
    """The policy's masks under one key, applied value by value."""

    def __init__(self, policy: MaskingPolicy, key: bytes) -> None:
        if len(key) < 16:
            raise BadInput(policy.key_secret, "the masking key is shorter than 16 bytes", "Rotate it")
        self.policy, self.key = policy, key

    def _digest(self, *parts: object) -> bytes:
        return hmac.new(self.key, "\x1f".join(map(str, parts)).encode(), hashlib.sha256).digest()

    def _stream(self, *parts: object) -> _Draws:
        return _Draws(lambda counter: self._digest(*parts, counter))

    def _replace_chars(self, text: str, draw: _Draws) -> str:
        out = []
        for char in text:
            if char.isdigit():
                out.append(string.digits[draw(10)])
            elif char.isalpha():
                letters = string.ascii_uppercase if char.isupper() else string.ascii_lowercase
                out.append(letters[draw(26)])
            else:
                out.append(char)
        return "".join(out)

    def tokenize(self, value: Any, domain: str) -> Any:
        digest = self._digest("tokenize", domain, value)
        number = int.from_bytes(digest[:8], "big") >> (64 - TOKEN_BITS)
        if isinstance(value, int) and not isinstance(value, bool):
            return number
        if isinstance(value, str) and value.isdigit():
            return str(number)
        return "tk_" + digest[:10].hex()

    def email(self, value: str) -> str:
        local, at, domain = value.rpartition("@")
        if not at:
            return self._replace_chars(value, self._stream("email", value))
        host, dot, tld = domain.rpartition(".")
        draw = self._stream("email", value.lower())
        masked_host = (
            self._replace_chars(host, draw) + dot + tld if dot else self._replace_chars(domain, draw)
        )
        return f"{self._replace_chars(local, draw)}@{masked_host}"

    def phone(self, value: str) -> str:
        keep = 1 if value.startswith("+") else 0  # the + and up to two digits of the country code
        while keep and keep < 3 and value[keep : keep + 1].isdigit():
            keep += 1
        return value[:keep] + self._replace_chars(value[keep:], self._stream("phone", value))

    def iban(self, value: str) -> str:
        compact = value.replace(" ", "")
        if len(compact) < 5 or not compact[:2].isalpha():
            return self._replace_chars(value, self._stream("iban", value))
        bban = self._replace_chars(compact[4:], self._stream("iban", compact.upper()))
        country = compact[:2].upper()
        numeric = "".join(str(int(c, 36)) for c in bban.upper() + country + "00")
        masked = f"{country}{98 - int(numeric) % 97:02d}{bban}"
        if " " not in value:
            return masked
        return " ".join(masked[i : i + 4] for i in range(0, len(masked), 4))

    def shift_days(self, entity: str, entity_value: Any, max_days: int) -> int:
        """Days every date of this entity moves (the same in every table keyed by `entity`)."""
        span = int.from_bytes(self._digest("date_shift", entity, entity_value)[:4], "big") % (2 * max_days)
        return span - max_days if span < max_days else span - max_days + 1  # never 0

    def date_shift(self, value: Any, days: int) -> Any:
        if isinstance(value, datetime | date):
            return value + timedelta(days=days)
        for fmt in DATE_FORMATS:
            try:
                return (datetime.strptime(value, fmt) + timedelta(days=days)).strftime(fmt)
            except ValueError:
                continue
        raise ValueError(f"{value!r} is not a date or timestamp")

    def noise(self, value: Any, relative: float, digits: int | None, row: int, column: str) -> Any:
        unit = int.from_bytes(self._digest("noise", column, row, value)[:8], "big") / 2**63 - 1
        factor = 1 + relative * unit
        if isinstance(value, bool):
            return value
        if isinstance(value, int):
            return round(value * factor)
        if isinstance(value, Decimal):
            return (value * Decimal(repr(factor))).quantize(value)
        if isinstance(value, float):
            return round(value * factor, 2 if digits is None else digits)
        text = str(value)
        places = len(text.partition(".")[2]) if digits is None else digits
        return f"{float(text) * factor:.{places}f}"

    def row(self, index: int, row: Mapping[str, Any]) -> dict[str, Any]:
        """One source row masked; empty and null values stay empty."""
        out: dict[str, Any] = {}
        for name, mask in self.policy.columns.items():
            value = row[name]
            if mask.kind == "drop":
                continue
            if value is None or value == "" or mask.kind == "passthrough":
                out[name] = value
            elif mask.kind == "tokenize":
                out[name] = self.tokenize(value, str(mask.params.get("domain", name)))
            elif mask.kind in ("email", "phone", "iban"):
                out[name] = getattr(self, mask.kind)(str(value))
            elif mask.kind == "date_shift":
                entity = str(mask.params["entity"])
                days = self.shift_days(entity, row[entity], int(mask.params.get("max_days", 30)))
                out[name] = self.date_shift(value, days)
            else:
                digits = mask.params.get("digits")
                relative = float(mask.params.get("relative", 0.05))
                out[name] = self.noise(value, relative, None if digits is None else int(digits), index, name)
        return out
