"""Messages: what they say, the outbox courier and its worker."""
