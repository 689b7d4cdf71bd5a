"""Support: cases opened by customers."""
