"""Passkeys: WebAuthn credentials a customer signs in with, or uses as a second step."""
