"""Built-in Peyvand plugins, each registered through the `peyvand.plugins` entry point group."""
