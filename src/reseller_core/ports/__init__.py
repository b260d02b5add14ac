"""The ports: one small ``typing.Protocol`` per role the core needs from the outside world.

Adapters in ``adapters/`` implement them; ``reseller_core.testing`` ships in-memory fakes
and conformance suites for each.
"""

from reseller_core.ports.ai import (
    AIProvider,
    AIProviderError,
    DescriptionResult,
    ImageInput,
    ListingRequest,
    ListingResult,
    PriceEvidence,
    PriceResult,
    ProductFacts,
    Recognition,
    Reconciliation,
)
from reseller_core.ports.clock import Clock, IdFactory
from reseller_core.ports.images import EditedImage, ImageEditor, ImageEditorError
from reseller_core.ports.lifecycle import Closable, Drainable, ReadinessProbe, Startable, SweepLease
from reseller_core.ports.mailer import EmailMessage, Mailer
from reseller_core.ports.marketplace import MarketplaceAdapter, ShapedListing
from reseller_core.ports.queue import Job, JobHandler, TaskQueue
from reseller_core.ports.rate_limit import RateDecision, RateLimiter
from reseller_core.ports.search import SearchMatch, SearchProvider, SearchProviderError
from reseller_core.ports.security import PasswordHasher
from reseller_core.ports.storage import ObjectInfo, ObjectStorage, SignedUpload, StorageError
from reseller_core.ports.unit_of_work import (
    ImageRepository,
    ProductRepository,
    ProviderCall,
    RunRepository,
    TabRepository,
    TokenRepository,
    UnitOfWork,
    UnitOfWorkFactory,
    UsageEvent,
    UsageRepository,
    UserRepository,
)

__all__ = [
    "AIProvider",
    "AIProviderError",
    "Clock",
    "Closable",
    "DescriptionResult",
    "Drainable",
    "EditedImage",
    "EmailMessage",
    "IdFactory",
    "ImageEditor",
    "ImageEditorError",
    "ImageInput",
    "ImageRepository",
    "Job",
    "JobHandler",
    "ListingRequest",
    "ListingResult",
    "Mailer",
    "MarketplaceAdapter",
    "ObjectInfo",
    "ObjectStorage",
    "PasswordHasher",
    "PriceEvidence",
    "PriceResult",
    "ProductFacts",
    "ProductRepository",
    "ProviderCall",
    "RateDecision",
    "RateLimiter",
    "ReadinessProbe",
    "Recognition",
    "Reconciliation",
    "RunRepository",
    "SearchMatch",
    "SearchProvider",
    "SearchProviderError",
    "ShapedListing",
    "SignedUpload",
    "Startable",
    "StorageError",
    "SweepLease",
    "TabRepository",
    "TaskQueue",
    "TokenRepository",
    "UnitOfWork",
    "UnitOfWorkFactory",
    "UsageEvent",
    "UsageRepository",
    "UserRepository",
]
