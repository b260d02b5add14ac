"""AI providers: the offline default; HTTP providers live beside it as optional adapters."""

from reseller_adapters.ai.offline import OfflineAIProvider

__all__ = ["OfflineAIProvider"]
