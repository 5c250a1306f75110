"""Peyvand sample plugin (tests and documentation)."""
