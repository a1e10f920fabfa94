"""Who is calling: the `principal` dependency, role guards, and WebSocket authentication.

HTTP takes `Authorization: Bearer <access token>`. Browsers cannot set headers on a WebSocket,
so the WebSocket also takes the token as the subprotocol pair `bearer, <token>` (the server
echoes `bearer`) or as a `token` query parameter. A page on any site can open a WebSocket to us,
so a browser's Origin must be one of `settings.origins` (cross-site WebSocket hijacking).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from server.accounts.live import check_principal
from server.accounts.tokens import Principal, decode_access_token
from server.errors import InsufficientRole, OriginForbidden, TokenMissing

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from litestar import Request, WebSocket
    from litestar.connection import ASGIConnection
    from litestar.handlers.base import BaseRouteHandler

    from server.context import AppContext

__all__ = [
    "BEARER_SUBPROTOCOL",
    "Principal",
    "authenticate_token",
    "authenticate_websocket",
    "bearer_token",
    "check_origin",
    "provide_principal",
    "require_role",
    "token_from_subprotocols",
    "websocket_subprotocol",
]

BEARER_SUBPROTOCOL = "bearer"
_STATE_KEY = "auth_principal"


async def authenticate_token(ctx: AppContext, token: str) -> Principal:
    """The principal of a valid access token whose session is not revoked and whose role is
    still the account's (`live.check_principal`)."""
    principal = decode_access_token(ctx.settings, token)
    await check_principal(ctx.redis, principal)
    return principal


def bearer_token(authorization: str | None) -> str:
    scheme, _, token = (authorization or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise TokenMissing("Send an access token as 'Authorization: Bearer <token>'.")
    return token.strip()


async def _principal_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    """Authenticates a request once; the guard and the dependency share the answer."""
    state = connection.scope.setdefault("state", {})
    cached = state.get(_STATE_KEY)
    if isinstance(cached, Principal):
        return cached
    ctx: AppContext = connection.app.state.ctx
    token = bearer_token(connection.headers.get("authorization"))
    principal = await authenticate_token(ctx, token)
    state[_STATE_KEY] = principal
    return principal


async def provide_principal(request: Request[Any, Any, Any]) -> Principal:
    """Litestar dependency `principal`: the caller, or 401 with a token_* code."""
    return await _principal_of(request)


def require_role(
    *roles: str,
) -> Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler], Awaitable[None]]:
    """A guard admitting callers whose role is one of `roles` (401 without a token)."""
    allowed = frozenset(roles)

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        principal = await _principal_of(connection)
        if principal.role not in allowed:
            raise InsufficientRole(
                f"This needs the role {' or '.join(sorted(allowed))}.", required=sorted(allowed)
            )

    return guard


def token_from_subprotocols(header: str | None) -> str | None:
    """The token in `Sec-WebSocket-Protocol: bearer, <token>`, if offered."""
    offered = [item.strip() for item in (header or "").split(",") if item.strip()]
    if BEARER_SUBPROTOCOL in offered:
        position = offered.index(BEARER_SUBPROTOCOL)
        if position + 1 < len(offered):
            return offered[position + 1]
    return None


def check_origin(origin: str | None, allowed: tuple[str, ...]) -> None:
    """Refuses a browser page from another site; clients that send no Origin are not browsers."""
    if origin is None:
        return
    if origin.rstrip("/") not in allowed:
        raise OriginForbidden(f"Origin {origin!r} may not open this WebSocket.")


async def authenticate_websocket(socket: WebSocket[Any, Any, Any], ctx: AppContext) -> Principal:
    """Checks Origin, then the token (subprotocol first, else `?token=`); call before accept()."""
    check_origin(socket.headers.get("origin"), ctx.settings.origins)
    token = token_from_subprotocols(socket.headers.get("sec-websocket-protocol"))
    token = token or socket.query_params.get("token")
    if not token:
        raise TokenMissing(
            "Send the access token as subprotocols 'bearer, <token>' or as ?token=<token>."
        )
    return await authenticate_token(ctx, token)


def websocket_subprotocol(socket: WebSocket[Any, Any, Any]) -> str | None:
    """The subprotocol to pass to `socket.accept(subprotocols=...)`: "bearer" if offered."""
    offered = socket.headers.get("sec-websocket-protocol") or ""
    names = {item.strip() for item in offered.split(",")}
    return BEARER_SUBPROTOCOL if BEARER_SUBPROTOCOL in names else None
