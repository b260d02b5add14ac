"""Provider-call metering: one ``ProviderCall`` row per call, for the daily ceilings.

Recording is best-effort (spec 10 §5.1): a failure to write the row is logged and never
interrupts the pipeline. Rows are written in their own short unit of work so that a stage
that later fails still leaves its calls counted.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable
from decimal import Decimal
from typing import TypeVar

from reseller_core.ports import AIProviderError, ProviderCall
from reseller_core.services.deps import Deps

log = logging.getLogger(__name__)
T = TypeVar("T")


async def metered(
    deps: Deps,
    call: Awaitable[T],
    *,
    user_id: str,
    product_id: str | None,
    provider: str,
    role: str,
    operation: str,
) -> T:
    """Await ``call`` and record it (success or error) against the user's daily usage.

    ``role`` is one of ``llm``, ``search``, ``image_editor`` (see
    ``reseller_core.domain.plans.DAILY_RESOURCE_BY_ROLE``).
    """
    started = time.monotonic()
    status, error_code = "success", None
    try:
        return await call
    except AIProviderError as exc:
        status, error_code = "error", exc.code
        raise
    except Exception as exc:
        status, error_code = "error", type(exc).__name__
        raise
    finally:
        duration_ms = int((time.monotonic() - started) * 1000)
        try:
            async with deps.uow() as uow:
                await uow.usage.record_call(
                    ProviderCall(
                        id=deps.ids.new_id(),
                        user_id=user_id,
                        product_id=product_id,
                        provider=provider,
                        role=role,
                        operation=operation,
                        status=status,
                        cost_usd=Decimal("0"),
                        duration_ms=duration_ms,
                        error_code=error_code,
                        created_at=deps.clock.now(),
                    )
                )
                await uow.commit()
        except Exception:
            log.warning("could not record the %s call of product %s", operation, product_id)
