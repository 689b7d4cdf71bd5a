"""HTTP: hosted pages, the JSON API and the demo outbox; the only user of Starlette/FastAPI."""
