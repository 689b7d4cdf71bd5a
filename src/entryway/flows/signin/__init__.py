"""Signing in: the password step, the second step, unusual sign-ins, lockout and the hash gate."""
