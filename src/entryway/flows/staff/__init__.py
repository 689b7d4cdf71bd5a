"""Staff accounts, enrolment and console sign-in: staff are never customers (SECURITY.md 30)."""
