"""Shared fixtures come from the core's pytest plugin (`core.testing`, loaded by entry point)."""
