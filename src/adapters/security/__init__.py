"""Password hashing (the ``PasswordHasher`` port)."""

from reseller_adapters.security.argon2 import Argon2PasswordHasher

__all__ = ["Argon2PasswordHasher"]
