"""Getting back in: password reset and unlock."""
