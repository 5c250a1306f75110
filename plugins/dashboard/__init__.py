"""The dashboard plugin."""
