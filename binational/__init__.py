"""binational: information sharing under control between the agencies of partner countries."""

__version__ = "0.1.0"
