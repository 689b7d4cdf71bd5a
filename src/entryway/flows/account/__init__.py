"""The customer's own account: registration, Login & security, two-step settings."""
