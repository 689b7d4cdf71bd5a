"""The staff console: its own ASGI app, origin, cookies and CSRF key (SECURITY.md 30)."""
