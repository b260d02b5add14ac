"""Accounts: register, log in, authenticate, confirm e-mail, revoke, read and edit /me."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta

import msgspec

from reseller_core.commands import (
    NO_PROBLEMS,
    ConfirmEmail,
    InputProblems,
    Login,
    Register,
    UpdateMe,
)
from reseller_core.domain.marketplaces import get_marketplace, humanise, parse_selected_marketplaces
from reseller_core.domain.users import (
    DEVICE_NAME_MAX,
    EMAIL_MAX,
    EMAIL_PATTERN,
    PASSWORD_MAX,
    PASSWORD_MIN,
    ApiToken,
    ConfirmationToken,
    IssuedToken,
    Plan,
    PlanStatus,
    RegisterInput,
    User,
    has_invisible_characters,
    normalise_email,
    trial_end,
)
from reseller_core.domain.validation import (
    CANT_BE_BLANK,
    IS_INVALID,
    TAKEN,
    Errors,
    has_unstorable_characters,
    too_long,
    too_short,
)
from reseller_core.errors import (
    Conflict,
    EmailNotConfirmed,
    NotFound,
    RateLimited,
    Unauthorized,
    ValidationFailed,
)
from reseller_core.ports import (
    Clock,
    EmailMessage,
    IdFactory,
    Mailer,
    MarketplaceAdapter,
    PasswordHasher,
    RateLimiter,
    UnitOfWork,
    UnitOfWorkFactory,
)
from reseller_core.services._tokens import bearer_digest, token_digest
from reseller_core.services.config import CoreConfig
from reseller_core.services.results import AuthContext, ResendResult
from reseller_core.services.user_lock import locked_user

log = logging.getLogger(__name__)

INVALID_CREDENTIALS = "Invalid email or password"
TOKEN_TOUCH_INTERVAL = timedelta(minutes=1)
"""``last_used_at`` is stamped at most this often per token: a request then only reads,
instead of taking the database's write lock for a timestamp nobody needs to the second."""


class AccountService:
    """The account use cases over the ports they use.

    ``reader`` opens units of work that only read (see ``UnitOfWorkFactory``); it is ``uow``
    where the persistence adapter offers no separate one.
    """

    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory,
        reader: UnitOfWorkFactory | None = None,
        rate_limiter: RateLimiter,
        mailer: Mailer,
        hasher: PasswordHasher,
        clock: Clock,
        ids: IdFactory,
        marketplaces: Mapping[str, MarketplaceAdapter],
        config: CoreConfig,
    ) -> None:
        self._uow = uow
        self._reader = reader or uow
        self._rate_limiter = rate_limiter
        self._mailer = mailer
        self._hasher = hasher
        self._clock = clock
        self._ids = ids
        self._marketplaces = marketplaces
        self._config = config

    # -- public auth -------------------------------------------------------------------

    async def _rate_limit(self, bucket: str, client_key: str | None) -> None:
        """Decision Q-A2: 10 requests per rolling 60 s per client and endpoint."""
        if client_key is None:
            return
        config = self._config
        decision = await self._rate_limiter.hit(
            f"auth:{bucket}:{client_key}", config.auth_rate_limit, config.auth_rate_window_s
        )
        if not decision.allowed:
            raise RateLimited(decision.retry_after_s)

    async def register(
        self,
        command: Register,
        problems: InputProblems = NO_PROBLEMS,
        *,
        client_key: str | None = None,
    ) -> IssuedToken:
        """Create a user (unconfirmed, 7-day trial), e-mail a confirmation link, issue a token.

        ``client_key`` (the client IP over HTTP) enables the public auth rate limit.
        """
        await self._rate_limit("register", client_key)
        problems.raise_invalid_request()
        config = self._config
        data = validate_register(
            command, problems, config.supported_marketplaces, config.default_marketplaces
        )
        password_hash = await self._hasher.hash(data.password)
        now = self._clock.now()
        user = User(
            id=self._ids.new_id(),
            email=data.email,
            password_hash=password_hash,
            confirmed_at=None,
            selected_marketplaces=data.selected_marketplaces,
            plan=Plan.FREE,
            plan_status=PlanStatus.TRIALING,
            trial_ends_at=trial_end(now),
            created_at=now,
            updated_at=now,
        )
        raw_confirm = self._ids.new_secret()
        try:
            async with self._uow() as uow:
                if await uow.users.get_by_email(data.email) is not None:
                    raise ValidationFailed({"email": [TAKEN]})
                await uow.users.add(user)
                issued = await self._issue_token(uow, user, data.device_name, now)
                await uow.tokens.add_confirmation(self._confirmation(user, raw_confirm, now))
                await uow.commit()
        except Conflict as exc:
            raise ValidationFailed({"email": [TAKEN]}) from exc
        await self._send_confirmation(user, raw_confirm)
        return issued

    async def login(
        self,
        command: Login,
        problems: InputProblems = NO_PROBLEMS,
        *,
        client_key: str | None = None,
    ) -> IssuedToken:
        """Any failure is the same 401; an unknown address still costs one hash verification."""
        await self._rate_limit("login", client_key)
        problems.raise_invalid_request()
        device = (command.device_name or "").strip()
        # A device name is only a label: one that cannot be stored is dropped, not refused.
        device_name = None if has_unstorable_characters(device) else device[:DEVICE_NAME_MAX]
        email = normalise_email(command.email)
        if has_unstorable_characters(email) or has_unstorable_characters(command.password):
            await self._hasher.dummy_verify()  # no account can match: the same 401, in time
            raise Unauthorized(INVALID_CREDENTIALS)
        async with self._reader() as uow:
            user = await uow.users.get_by_email(email)
        # The slow hash runs with no write transaction open (it would hold the write lock).
        if user is None:
            await self._hasher.dummy_verify()
            raise Unauthorized(INVALID_CREDENTIALS)
        if not await self._hasher.verify(user.password_hash, command.password):
            raise Unauthorized(INVALID_CREDENTIALS)
        async with self._uow() as uow:
            now = self._clock.now()
            issued = await self._issue_token(uow, user, device_name, now)
            await uow.commit()
        return issued

    async def _issue_token(
        self, uow: UnitOfWork, user: User, device_name: str | None, now: datetime
    ) -> IssuedToken:
        raw = self._ids.new_secret()
        ttl = timedelta(days=self._config.api_token_ttl_days)
        expires_at = now.replace(microsecond=0) + ttl
        token = ApiToken(
            id=self._ids.new_id(),
            user_id=user.id,
            token_hash=token_digest(raw),
            context="mobile",
            device_name=device_name,
            expires_at=expires_at,
            last_used_at=None,
            created_at=now,
        )
        await uow.tokens.add(token)
        return IssuedToken(token=raw, expires_at=expires_at, user=user)

    async def authenticate(self, authorization: str | None) -> AuthContext:
        """Resolve an ``Authorization`` header value; Unauthorized for anything not live."""
        digest = bearer_digest(authorization)
        now = self._clock.now()
        async with self._reader() as uow:
            found = await uow.tokens.authenticate(digest, now)
        if found is None:
            raise Unauthorized()
        token, user = found
        if token.last_used_at is None or now - token.last_used_at >= TOKEN_TOUCH_INTERVAL:
            async with self._uow() as uow:
                await uow.tokens.touch(token.id, now)
                await uow.commit()
            token = msgspec.structs.replace(token, last_used_at=now)
        return AuthContext(user=user, token=token)

    async def revoke(self, auth: AuthContext) -> None:
        async with self._uow() as uow:
            await uow.tokens.revoke(auth.token.id)
            await uow.commit()

    # -- e-mail confirmation -------------------------------------------------------------

    def _confirmation(self, user: User, raw: str, now: datetime) -> ConfirmationToken:
        return ConfirmationToken(
            id=self._ids.new_id(),
            user_id=user.id,
            token_hash=token_digest(raw),
            sent_to=user.email,
            expires_at=now + timedelta(hours=self._config.confirmation_ttl_hours),
            used_at=None,
            created_at=now,
        )

    async def _send_confirmation(self, user: User, raw: str) -> None:
        """Send after commit: a mail failure must not undo the account, only be logged."""
        link = f"{self._config.confirmation_url_base}?token={raw}"
        hours = self._config.confirmation_ttl_hours
        message = EmailMessage(
            to=user.email,
            subject="Confirm your ResellerIO e-mail address",
            text=(
                "Welcome to ResellerIO.\n\n"
                f"Confirm your e-mail address by opening this link (valid {hours} hours):\n"
                f"{link}\n\nIf you did not sign up, ignore this message.\n"
            ),
            tag="confirmation",
        )
        try:
            await self._mailer.send(message)
        except Exception:
            log.exception("confirmation e-mail to user %s could not be sent", user.id)

    async def resend_confirmation(self, user: User) -> ResendResult:
        if user.confirmed_at is not None:
            return ResendResult(sent=False, already_confirmed=True)
        now = self._clock.now()
        config = self._config
        raw = self._ids.new_secret()
        async with self._uow() as uow:
            since = now - timedelta(hours=1)
            # The registration e-mail is not a resend: the seed's quick start resends at once.
            sends = [
                sent
                for sent in await uow.tokens.confirmation_sends_since(user.id, since)
                if sent != user.created_at
            ]
            last_minute = [sent for sent in sends if sent > now - timedelta(minutes=1)]
            if len(last_minute) >= config.resend_per_minute:
                raise RateLimited(_retry_after(min(last_minute), timedelta(minutes=1), now))
            if len(sends) >= config.resend_per_hour:
                raise RateLimited(_retry_after(min(sends), timedelta(hours=1), now))
            await uow.tokens.invalidate_confirmations(user.id, now)
            await uow.tokens.add_confirmation(self._confirmation(user, raw, now))
            await uow.commit()
        await self._send_confirmation(user, raw)
        return ResendResult(sent=True)

    async def confirm(
        self,
        command: ConfirmEmail,
        problems: InputProblems = NO_PROBLEMS,
        *,
        client_key: str | None = None,
    ) -> User:
        await self._rate_limit("confirm", client_key)
        problems.raise_invalid_request()
        raw = command.token.strip()
        invalid = ValidationFailed({"token": ["is invalid or expired"]})
        if not raw or has_unstorable_characters(raw):
            raise invalid
        now = self._clock.now()
        async with self._uow() as uow:
            token = await uow.tokens.find_confirmation(token_digest(raw))
            if token is None or token.used_at is not None or token.expires_at <= now:
                raise invalid
            if not await uow.tokens.use_confirmation(token.id, now):
                raise invalid
            # The user after the token: a resend takes the user's tokens, then the user
            # (its new token's key check), and the other order could deadlock with it.
            user = await locked_user(uow, token.user_id)
            if user is None:
                raise invalid
            if user.confirmed_at is None:
                user = msgspec.structs.replace(user, confirmed_at=now, updated_at=now)
                await uow.users.update(user)
            await uow.commit()
        return user

    async def confirm_email(self, email: str) -> User:
        """Operator action: confirm an address without a token (``reseller users confirm``)."""
        now = self._clock.now()
        async with self._uow() as uow:
            user = await uow.users.get_by_email(normalise_email(email))
            if user is None:
                raise NotFound("User not found")
            if user.confirmed_at is None:
                # The tokens first, then the user: the order of ``confirm``.
                await uow.tokens.invalidate_confirmations(user.id, now)
                user = await locked_user(uow, user.id) or user
            if user.confirmed_at is None:
                user = msgspec.structs.replace(user, confirmed_at=now, updated_at=now)
                await uow.users.update(user)
            await uow.commit()
        return user

    # -- /me -------------------------------------------------------------------------------

    async def me(self, user_id: str) -> User:
        async with self._reader() as uow:
            user = await uow.users.get(user_id)
        if user is None:
            raise Unauthorized()
        return user

    async def update_me(
        self, user: User, command: UpdateMe, problems: InputProblems = NO_PROBLEMS
    ) -> User:
        """Only marketplace preferences are editable; an absent key changes nothing (Q-A9)."""
        problems.raise_invalid_request()
        errors = Errors()
        if errors.carry("selected_marketplaces", problems.fields):
            errors.raise_if_any()
        if isinstance(command.selected_marketplaces, msgspec.UnsetType):
            return await self.me(user.id)
        ids, messages = parse_selected_marketplaces(
            command.selected_marketplaces, self._config.supported_marketplaces
        )
        for message in messages:
            errors.add("selected_marketplaces", message)
        errors.raise_if_any()
        async with self._uow() as uow:
            current = await locked_user(uow, user.id)
            if current is None:
                raise Unauthorized()
            updated = msgspec.structs.replace(
                current, selected_marketplaces=tuple(ids), updated_at=self._clock.now()
            )
            await uow.users.update(updated)
            await uow.commit()
        return updated

    def require_confirmed(self, user: User) -> None:
        """The write gate: EmailNotConfirmed when the user's address is unconfirmed."""
        if self._config.require_email_confirmation and user.confirmed_at is None:
            raise EmailNotConfirmed()

    def supported_marketplaces(self) -> list[tuple[str, str]]:
        """(id, label) of every supported marketplace, in catalogue order."""
        result: list[tuple[str, str]] = []
        for marketplace_id in self._config.supported_marketplaces:
            adapter = self._marketplaces.get(marketplace_id)
            known = get_marketplace(marketplace_id)
            label = adapter.label if adapter else known.label if known else humanise(marketplace_id)
            result.append((marketplace_id, label))
        return result

    def selected_for(self, user: User) -> list[str]:
        """The user's selection filtered to supported ids, in catalogue order."""
        supported = self._config.supported_marketplaces
        chosen = set(user.selected_marketplaces)
        return [m for m in supported if m in chosen]


def validate_register(
    command: Register,
    problems: InputProblems,
    supported: tuple[str, ...],
    defaults: tuple[str, ...],
) -> RegisterInput:
    """Apply the registration rules; raise ValidationFailed with every field error at once."""
    errors = Errors()
    unread = problems.fields
    email = normalise_email(command.email)
    if not errors.carry("email", unread):
        if not email:
            errors.add("email", CANT_BE_BLANK)
        else:
            if has_invisible_characters(email):
                errors.add("email", IS_INVALID)
            elif not EMAIL_PATTERN.match(email):
                errors.add("email", "must have the @ sign and no spaces")
            if len(email) > EMAIL_MAX:
                errors.add("email", too_long(EMAIL_MAX))
    password = command.password
    if not errors.carry("password", unread):
        if password == "":
            errors.add("password", CANT_BE_BLANK)
        elif has_unstorable_characters(password):
            errors.add("password", IS_INVALID)
        elif len(password) < PASSWORD_MIN:
            errors.add("password", too_short(PASSWORD_MIN))
        elif len(password) > PASSWORD_MAX:
            errors.add("password", too_long(PASSWORD_MAX))
    confirmation = command.password_confirmation
    if (
        not errors.carry("password_confirmation", unread)
        and confirmation is not None
        and confirmation != password
    ):
        errors.add("password_confirmation", "does not match confirmation")
    device_name = (command.device_name or "").strip() or None
    if device_name is not None and has_unstorable_characters(device_name):
        errors.add("device_name", IS_INVALID)
    elif device_name is not None and len(device_name) > DEVICE_NAME_MAX:
        errors.add("device_name", too_long(DEVICE_NAME_MAX))
    selected: tuple[str, ...] = tuple(m for m in defaults if m in supported)
    if not errors.carry("selected_marketplaces", unread) and command.selected_marketplaces:
        ids, messages = parse_selected_marketplaces(command.selected_marketplaces, supported)
        for message in messages:
            errors.add("selected_marketplaces", message)
        if ids:
            selected = tuple(ids)
    errors.raise_if_any()
    return RegisterInput(
        email=email, password=password, device_name=device_name, selected_marketplaces=selected
    )


def _retry_after(oldest: datetime, window: timedelta, now: datetime) -> int:
    return max(1, int((oldest + window - now).total_seconds() + 0.999))
