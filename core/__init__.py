"""Peyvand core: app factory, plugin host, organisation and access, Persian/Jalali helpers."""
from core.plugins import hookimpl  # noqa: F401  the marker every plugin imports

__version__ = "0.1.0"
