"""The support plugin."""
