"""The OpenID Connect provider's endpoints (outside /api/: errors in the RFCs' own shape)."""
