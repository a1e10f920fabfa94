"""The sign-in flows: each turns a proof of identity into a user and a token answer."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from server.accounts import mailer, otp, ratelimit
from server.accounts import refresh_families as sessions
from server.accounts import users as accounts
from server.accounts.schemas import OtpRequested, TokenAnswer
from server.accounts.tokens import Principal, issue_access_token
from server.errors import Unavailable

if TYPE_CHECKING:
    from server.accounts.google import GoogleVerifier
    from server.accounts.refresh_families import ClientInfo, IssuedRefresh
    from server.context import AppContext
    from server.settings import Settings

OTP_SENT_MESSAGE = "If that address can receive mail, a sign-in code is on its way."


async def request_otp(
    ctx: AppContext, email: str, client: ClientInfo, now: datetime | None = None
) -> OtpRequested:
    """Mails a code unless the address's current one is fresh (`otp.mail_due`); answers the
    same either way, and whether or not the address has an account.

    Only the requester is refused (429): per client IP, and per client IP and address.
    """
    email = otp.normalise_email(email)
    now = now or datetime.now(UTC)
    await ratelimit.enforce(
        ctx.redis,
        (otp.OTP_REQUESTS_PER_IP, client.ip),
        (otp.OTP_REQUESTS_PER_IP_AND_EMAIL, f"{client.ip}\n{email}"),
        now=now.timestamp(),
    )
    code = await otp.issue_code(ctx.settings, email, now)
    if code is not None:
        await _mail(ctx.settings, email, code)
    return OtpRequested(message=OTP_SENT_MESSAGE, expires_in=otp.OTP_TTL_SECS)


async def _mail(settings: Settings, email: str, code: str) -> None:
    try:
        await mailer.send_code(settings, email, code, otp.OTP_TTL_SECS // 60)
    except Unavailable:
        # Never delivered: the next request must mail a new code, not wait out the spacing.
        await otp.retire_code(settings, email, code)
        raise


async def verify_otp(
    ctx: AppContext, email: str, code: str, client: ClientInfo, now: datetime | None = None
) -> TokenAnswer:
    email = otp.normalise_email(email)
    await otp.consume_code(ctx.settings, ctx.redis, email, code, now)
    user = await accounts.login_by_email(email)
    return await _signed_in(ctx.settings, user, client)


async def google_login(
    ctx: AppContext, google: GoogleVerifier, id_token: str, client: ClientInfo
) -> TokenAnswer:
    identity = await google.verify(id_token)
    user = await accounts.login_by_google(identity)
    return await _signed_in(ctx.settings, user, client)


async def refresh(ctx: AppContext, refresh_token: str, client: ClientInfo) -> TokenAnswer:
    successor = await sessions.rotate(ctx, refresh_token, client)
    # The role is read again, so a promotion or demotion applies at the next refresh.
    user = await accounts.get_user(successor.user_id)
    return answer(ctx.settings, user, successor)


async def logout(ctx: AppContext, principal: Principal, refresh_token: str | None) -> None:
    """Ends the caller's session, and the given refresh token's if it is the caller's too."""
    await sessions.revoke_family(ctx, principal.sid)
    found = await sessions.family_of(refresh_token) if refresh_token else None
    if found is not None and found[0] == principal.user_id and found[1] != principal.sid:
        await sessions.revoke_family(ctx, found[1])


async def logout_all(ctx: AppContext, principal: Principal) -> None:
    await sessions.revoke_user(ctx, principal.user_id)
    await sessions.mark_revoked(ctx, [principal.sid])


async def _signed_in(settings: Settings, user: dict[str, Any], client: ClientInfo) -> TokenAnswer:
    return answer(settings, user, await sessions.start(settings, user["id"], client))


def answer(settings: Settings, user: dict[str, Any], refresh_token: IssuedRefresh) -> TokenAnswer:
    principal = Principal(user_id=user["id"], role=user["role"], sid=refresh_token.family_id)
    access = issue_access_token(settings, principal)
    return TokenAnswer(
        access_token=access.token,
        refresh_token=refresh_token.token,
        expires_in=access.expires_in,
        refresh_expires_in=refresh_token.expires_in,
        user=accounts.view(user),
    )
