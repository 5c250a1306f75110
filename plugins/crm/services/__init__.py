"""CRM domain logic: plain functions used alike by the web UI, the API, the CLI and jobs."""
