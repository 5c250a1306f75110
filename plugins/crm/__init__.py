"""The crm plugin."""
