"""The store's apps: OpenID Connect clients, their grants and tokens, signing keys."""
