"""Entryway: sign-in and account recovery for online stores with regional sites."""

__version__ = "0.1.0"
