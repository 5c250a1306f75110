"""Finance domain logic: plain functions used alike by the screens, the hooks and the API."""
