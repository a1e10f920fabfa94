"""Sign-in and sessions over HTTP: email codes, Google, refresh, logout.

No `from __future__ import annotations`: Litestar reads these signatures at runtime.
"""

from typing import Any

from litestar import Controller, Request, post

from server.accounts import service
from server.accounts.google import GoogleVerifier
from server.accounts.guards import Principal
from server.accounts.refresh_families import ClientInfo
from server.accounts.schemas import (
    GoogleLogin,
    LogoutRequest,
    OtpRequest,
    OtpRequested,
    OtpVerify,
    RefreshRequest,
    TokenAnswer,
)
from server.context import AppContext
from server.limits import AUTH_BODY_BYTES


def client_info(request: Request[Any, Any, Any]) -> ClientInfo:
    """The peer address as uvicorn reports it. `interview-rooms serve` lets uvicorn take it
    from X-Forwarded-For only when FORWARDED_ALLOW_IPS is set, and only from those proxies;
    otherwise it is the TCP peer (behind a proxy, every user is the proxy)."""
    host = request.client.host if request.client else ""
    return ClientInfo(ip=host, user_agent=request.headers.get("user-agent", ""))


class AuthController(Controller):
    path = "/auth"
    request_max_body_size = AUTH_BODY_BYTES
    tags = ["auth"]

    @post("/otp/request", status_code=202, summary="Mail a six-digit sign-in code")
    async def request_otp(
        self, data: OtpRequest, request: Request[Any, Any, Any], ctx: AppContext
    ) -> OtpRequested:
        return await service.request_otp(ctx, data.email, client_info(request))

    @post("/otp/verify", status_code=200, summary="Sign in with the mailed code")
    async def verify_otp(
        self, data: OtpVerify, request: Request[Any, Any, Any], ctx: AppContext
    ) -> TokenAnswer:
        return await service.verify_otp(ctx, data.email, data.code, client_info(request))

    @post("/google", status_code=200, summary="Sign in with a Google ID token")
    async def google_login(
        self,
        data: GoogleLogin,
        request: Request[Any, Any, Any],
        ctx: AppContext,
        google: GoogleVerifier,
    ) -> TokenAnswer:
        return await service.google_login(ctx, google, data.id_token, client_info(request))

    @post("/refresh", status_code=200, summary="Trade a refresh token for a new pair")
    async def refresh(
        self, data: RefreshRequest, request: Request[Any, Any, Any], ctx: AppContext
    ) -> TokenAnswer:
        return await service.refresh(ctx, data.refresh_token, client_info(request))

    @post("/logout", status_code=204, summary="End this session")
    async def logout(
        self, principal: Principal, ctx: AppContext, data: LogoutRequest | None = None
    ) -> None:
        await service.logout(ctx, principal, data.refresh_token if data else None)

    @post("/logout-all", status_code=204, summary="End every session of this account")
    async def logout_all(self, principal: Principal, ctx: AppContext) -> None:
        await service.logout_all(ctx, principal)
