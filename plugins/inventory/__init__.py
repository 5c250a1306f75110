"""The inventory plugin."""
