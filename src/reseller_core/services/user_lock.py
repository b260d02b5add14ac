"""Reading a user in order to write its row back: under the user's write lock.

``UserRepository.update`` writes the whole row. A use case that read the user without the
lock would write back what it read, over anything committed meanwhile (a credit a run
spent, a grant). Reading under the lock makes a second writer wait for the first's commit
and then read what it wrote (``UserRepository.lock``).
"""

from __future__ import annotations

from reseller_core.domain.users import User
from reseller_core.ports import UnitOfWork


async def locked_user(uow: UnitOfWork, user_id: str) -> User | None:
    """The user as stored, read under its write lock, held until ``uow`` ends.

    Taken before the unit's other locks, as a finalize takes it before the product's;
    a confirmation takes its tokens first, in a resend's order (``AccountService.confirm``).
    """
    await uow.users.lock(user_id)
    return await uow.users.get(user_id)
