"""The finance plugin."""
