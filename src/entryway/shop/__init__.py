"""The demo shop: a small store front that signs its customers in through Entryway, a real
OpenID Connect relying party on authlib's client. It knows nothing of Entryway's insides:
only the issuer's address, its client id and secret."""
