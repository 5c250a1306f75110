"""Domain logic of the core: plain functions called alike by the UI, the API, the CLI and jobs."""
