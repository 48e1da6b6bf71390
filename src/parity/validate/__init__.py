"""Parity validation: masked samples, batch and stream comparison of two releases."""
