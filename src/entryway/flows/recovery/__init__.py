"""Getting back in: password reset, unlock, and the identity check and the recovery it opens."""
