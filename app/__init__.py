"""jwtlens: a local, self-hosted JWT debugger."""

__version__ = "0.1.0"
