"""Shared goals, per-partner commitments, progress and projection."""
