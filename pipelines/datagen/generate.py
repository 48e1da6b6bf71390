"""Synthetic, production-shaped FinSight data for local runs: seeded and deterministic.

Usage: python -m datagen.generate OUT_DIR [--seed N] [--scale F]

Writes one CSV per raw table (the RAW.LANDING tables dbt reads as sources, and the landing files
Spark curates). Same seed and scale -> byte-identical files, so gate results are reproducible.
No production data is involved: names and emails are generated, never sampled.
"""

from __future__ import annotations

import argparse
import csv
import random
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

EPOCH = datetime(2026, 1, 1)
CURRENCIES = ["USD", "EUR", "GBP", "CHF", "SEK", "JPY"]
COUNTRIES = ["GB", "DE", "FR", "NL", "US", "SE", "CH", "IE"]
BASE_SIZES = {
    "customers": 300,
    "accounts": 600,
    "merchants": 100,
    "transactions": 5000,
    "invoices": 1500,
    "payments": 1800,
    "kyc_checks": 400,
    "subscriptions": 350,
    "support_tickets": 800,
    "events": 5000,
}
DAYS = 120

Row = dict[str, object]


def _ts(rng: random.Random, days: int = DAYS) -> str:
    return (EPOCH + timedelta(seconds=rng.randrange(days * 86400))).strftime("%Y-%m-%d %H:%M:%S")


def _sizes(scale: float) -> dict[str, int]:
    return {name: max(1, int(n * scale)) for name, n in BASE_SIZES.items()}


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


def _iban(rng: random.Random) -> str:
    """A well-formed GB IBAN (valid mod-97 check digits) for a made-up bank and account."""
    bban = "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(4)) + _digits(rng, 14)
    numeric = "".join(str(int(c, 36)) for c in bban + "GB00")
    return f"GB{98 - int(numeric) % 97:02d}{bban}"


def contact(i: int) -> Row:
    """The customer's finance contact (the CRM's PII columns). From its own generator per customer,
    so adding it left every other generated value as it was."""
    rng = random.Random(f"contact-{i}")
    first = rng.choice(["Ada", "Grace", "Alan", "Linus", "Edsger", "Barbara", "Ken", "Frances"])
    last = rng.choice(["Lovelace", "Hopper", "Turing", "Torvalds", "Dijkstra", "Liskov", "Thompson"])
    return {
        "contact_name": f"{first} {last}",
        "phone": f"+44 20 {_digits(rng, 4)} {_digits(rng, 4)}",
        "iban": _iban(rng),
    }


def customers(rng: random.Random, n: int) -> Iterator[Row]:
    words = ["North", "Blue", "Atlas", "Pioneer", "Harbor", "Summit", "Vertex", "Lumen", "Orbit", "Cedar"]
    kinds = ["Logistics", "Analytics", "Foods", "Robotics", "Health", "Energy", "Retail", "Labs"]
    for i in range(1, n + 1):
        name = f"{rng.choice(words)} {rng.choice(kinds)} {i}"
        yield {
            "customer_id": i,
            "company_name": name,
            "country": rng.choice(COUNTRIES),
            "segment": rng.choices(["smb", "mid_market", "enterprise"], [6, 3, 1])[0],
            "email": f"finance{i}@{name.split()[0].lower()}{i}.example",
            "created_at": _ts(rng, 30),
            **contact(i),
        }


def accounts(rng: random.Random, n: int, n_customers: int) -> Iterator[Row]:
    for i in range(1, n + 1):
        yield {
            "account_id": i,
            "customer_id": rng.randint(1, n_customers),
            "account_type": rng.choice(["checking", "savings", "credit", "merchant"]),
            "currency": rng.choice(CURRENCIES[:3]),
            "status": rng.choices(["active", "closed", "frozen"], [90, 7, 3])[0],
            "opened_at": _ts(rng, 40),
        }


def merchants(rng: random.Random, n: int) -> Iterator[Row]:
    for i in range(1, n + 1):
        yield {
            "merchant_id": i,
            "name": f"Merchant {i}",
            "mcc": rng.choice(["5411", "5812", "4111", "5999", "7372"]),
            "country": rng.choice(COUNTRIES),
            "onboarded_at": _ts(rng, 20),
        }


def transactions(rng: random.Random, n: int, n_accounts: int, n_merchants: int) -> Iterator[Row]:
    for i in range(1, n + 1):
        yield {
            "transaction_id": i,
            "account_id": rng.randint(1, n_accounts),
            "merchant_id": rng.randint(1, n_merchants),
            "amount": round(rng.lognormvariate(4, 1.2), 2),
            "currency": rng.choice(CURRENCIES[:3]),
            "direction": rng.choice(["debit", "credit"]),
            "status": rng.choices(["posted", "pending", "reversed"], [92, 6, 2])[0],
            "booked_at": _ts(rng),
        }


def invoices(rng: random.Random, n: int, n_customers: int) -> Iterator[Row]:
    for i in range(1, n + 1):
        issued = EPOCH + timedelta(days=rng.randrange(DAYS))
        yield {
            "invoice_id": i,
            "customer_id": rng.randint(1, n_customers),
            "issued_at": issued.strftime("%Y-%m-%d %H:%M:%S"),
            "due_at": (issued + timedelta(days=rng.choice([14, 30, 45]))).strftime("%Y-%m-%d %H:%M:%S"),
            "currency": rng.choice(CURRENCIES[:3]),
            "status": rng.choices(["open", "paid", "void"], [30, 65, 5])[0],
        }


def invoice_lines(rng: random.Random, n_invoices: int) -> Iterator[Row]:
    line = 0
    for invoice in range(1, n_invoices + 1):
        for _ in range(rng.randint(1, 4)):
            line += 1
            yield {
                "line_id": line,
                "invoice_id": invoice,
                "product": rng.choice(["platform", "payments", "cards", "fx", "support"]),
                "quantity": rng.randint(1, 20),
                "unit_price": round(rng.uniform(5, 400), 2),
            }


def payments(rng: random.Random, n: int, n_invoices: int, n_customers: int) -> Iterator[Row]:
    for i in range(1, n + 1):
        status = rng.choices(["succeeded", "failed", "refunded"], [85, 12, 3])[0]
        yield {
            "payment_id": i,
            "invoice_id": rng.randint(1, n_invoices),
            "customer_id": rng.randint(1, n_customers),
            "amount": round(rng.lognormvariate(6, 0.8), 2),
            "currency": rng.choice(CURRENCIES[:3]),
            "method": rng.choice(["card", "ach", "sepa", "wire"]),
            "status": status,
            "failure_reason": rng.choice(["insufficient_funds", "expired_card", "do_not_honor"])
            if status == "failed"
            else "",
            "paid_at": _ts(rng),
        }


def fx_rates(rng: random.Random) -> Iterator[Row]:
    base = {"USD": 1.0, "EUR": 1.08, "GBP": 1.27, "CHF": 1.12, "SEK": 0.095, "JPY": 0.0067}
    for day in range(DAYS):
        for currency, rate in base.items():
            drift = 1.0 if currency == "USD" else 1 + rng.uniform(-0.01, 0.01)
            yield {
                "rate_date": (date(2026, 1, 1) + timedelta(days=day)).isoformat(),
                "currency": currency,
                "usd_rate": round(rate * drift, 6),
            }


def kyc_checks(rng: random.Random, n: int, n_customers: int) -> Iterator[Row]:
    for i in range(1, n + 1):
        yield {
            "check_id": i,
            "customer_id": rng.randint(1, n_customers),
            "provider": rng.choice(["onfido", "complyadvantage"]),
            "result": rng.choices(["clear", "review", "reject"], [85, 12, 3])[0],
            "checked_at": _ts(rng),
        }


def subscriptions(rng: random.Random, n: int, n_customers: int) -> Iterator[Row]:
    for i in range(1, n + 1):
        started = EPOCH + timedelta(days=rng.randrange(60))
        ended = started + timedelta(days=rng.randrange(30, 90)) if rng.random() < 0.2 else None
        yield {
            "subscription_id": i,
            "customer_id": rng.randint(1, n_customers),
            "plan": rng.choice(["starter", "growth", "scale"]),
            "mrr": rng.choice([49, 199, 990, 2500]),
            "started_at": started.strftime("%Y-%m-%d %H:%M:%S"),
            "ended_at": ended.strftime("%Y-%m-%d %H:%M:%S") if ended else "",
        }


def support_tickets(rng: random.Random, n: int, n_customers: int) -> Iterator[Row]:
    for i in range(1, n + 1):
        opened = EPOCH + timedelta(seconds=rng.randrange(DAYS * 86400))
        resolved = opened + timedelta(hours=rng.randrange(1, 96)) if rng.random() < 0.85 else None
        yield {
            "ticket_id": i,
            "customer_id": rng.randint(1, n_customers),
            "priority": rng.choice(["low", "normal", "high", "urgent"]),
            "opened_at": opened.strftime("%Y-%m-%d %H:%M:%S"),
            "resolved_at": resolved.strftime("%Y-%m-%d %H:%M:%S") if resolved else "",
        }


def events(rng: random.Random, n: int, n_customers: int) -> Iterator[Row]:
    for i in range(1, n + 1):
        yield {
            "event_id": f"evt-{i:08d}",
            "customer_id": rng.randint(1, n_customers),
            "event_type": rng.choice(["login", "payment_created", "invoice_viewed", "card_issued", "export"]),
            "occurred_at": _ts(rng),
            "payload_size": rng.randint(200, 4000),
        }


def tables(seed: int, scale: float) -> dict[str, list[Row]]:
    n = _sizes(scale)
    rng = random.Random(seed)
    return {
        "customers": list(customers(rng, n["customers"])),
        "accounts": list(accounts(rng, n["accounts"], n["customers"])),
        "merchants": list(merchants(rng, n["merchants"])),
        "transactions": list(transactions(rng, n["transactions"], n["accounts"], n["merchants"])),
        "invoices": list(invoices(rng, n["invoices"], n["customers"])),
        "invoice_lines": list(invoice_lines(rng, n["invoices"])),
        "payments": list(payments(rng, n["payments"], n["invoices"], n["customers"])),
        "fx_rates": list(fx_rates(rng)),
        "kyc_checks": list(kyc_checks(rng, n["kyc_checks"], n["customers"])),
        "subscriptions": list(subscriptions(rng, n["subscriptions"], n["customers"])),
        "support_tickets": list(support_tickets(rng, n["support_tickets"], n["customers"])),
        "events": list(events(rng, n["events"], n["customers"])),
    }


def write(out: Path, seed: int = 20260101, scale: float = 1.0) -> dict[str, int]:
    out.mkdir(parents=True, exist_ok=True)
    counts = {}
    for name, rows in tables(seed, scale).items():
        tmp = out / f".{name}.csv.tmp"
        with tmp.open("w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
        tmp.replace(out / f"{name}.csv")
        counts[name] = len(rows)
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--seed", type=int, default=20260101)
    parser.add_argument("--scale", type=float, default=1.0)
    args = parser.parse_args()
    counts = write(args.out, args.seed, args.scale)
    print(" ".join(f"{name}={count}" for name, count in counts.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
