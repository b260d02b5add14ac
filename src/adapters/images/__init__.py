"""Image editors: the offline (Pillow) default; hosted editors live beside it."""

from reseller_adapters.images.offline import OfflineImageEditor

__all__ = ["OfflineImageEditor"]
