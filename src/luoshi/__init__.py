"""Luoshi (落实): a closed loop on government work."""

__version__ = "0.1.0"
