"""Password hashing (the ``PasswordHasher`` port)."""

from adapters.security.argon2 import Argon2PasswordHasher

__all__ = ["Argon2PasswordHasher"]
