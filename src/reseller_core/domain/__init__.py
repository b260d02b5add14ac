"""Entities, value objects and pure rules of the ResellerIO domain (no I/O, no clock reads)."""
