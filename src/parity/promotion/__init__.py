"""Releases, approvals, environment locks, apply and rollback, and the audit ledger's storage."""
