"""ResellerIO core: the pure domain and use cases behind the ResellerIO API.

The core imports only the standard library, msgspec and python-ulid. Everything that
touches the outside world is reached through the protocols in :mod:`reseller_core.ports`.
"""

__version__ = "0.1.0"
