"""Storage on SQLAlchemy Core (async): SQLite by default, PostgreSQL for many instances."""
