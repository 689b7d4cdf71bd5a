"""The outside world: storage, hashing, delivery providers, clock and identifier parsing."""
