"""Support services: plain functions called the same way by the screens, the API, the CLI and jobs."""
