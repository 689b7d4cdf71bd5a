"""Django's Argon2 hasher with the parameters Entryway uses (m=19456 KiB, t=2, p=1)."""

from django.contrib.auth.hashers import Argon2PasswordHasher


class BenchArgon2PasswordHasher(Argon2PasswordHasher):
    """Same cost as Entryway's hash; the 32-byte output is pinned (argon2-cffi's default)."""

    time_cost = 2
    memory_cost = 19456
    parallelism = 1

    def params(self):
        params = super().params()
        params.hash_len = 32
        return params
