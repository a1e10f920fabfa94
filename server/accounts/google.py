"""Google sign-in: verifies an ID token against Google's published keys (JWKS).

Checks follow Google's guidance: RS256 signature by a current Google key, `aud` is our client
id, `iss` is Google, `exp` not passed, and the email is verified. Keys are cached for as long as
the JWKS answer's Cache-Control allows; a token naming an unknown key id triggers one early
refetch (keys rotate), at most once per JWKS_REFETCH_MIN_INTERVAL_SECS.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from typing import TYPE_CHECKING, Any

import httpx
import jwt

from server.accounts.otp import normalise_email
from server.accounts.users import GoogleIdentity
from server.errors import AppError, GoogleTokenInvalid, NotEnabled, Unavailable

if TYPE_CHECKING:
    from collections.abc import Callable

    from server.settings import Settings

log = logging.getLogger("interview_rooms.auth.google")

GOOGLE_ISSUERS = ("accounts.google.com", "https://accounts.google.com")
GOOGLE_ALGORITHM = "RS256"
# Used when the JWKS answer carries no max-age (Google's does: several hours).
JWKS_DEFAULT_MAX_AGE_SECS = 300
# Forged tokens with random key ids must not make us hammer Google: one refetch per second at
# most (per process), while a real rotation is still picked up at the next login.
JWKS_REFETCH_MIN_INTERVAL_SECS = 1.0
# After a failed fetch, stale keys keep working this long before the next try.
JWKS_RETRY_AFTER_FAILURE_SECS = 30.0
JWKS_FETCH_TIMEOUT_SECS = 5.0
# Our clock and Google's may disagree by a few seconds.
GOOGLE_CLOCK_SKEW_SECS = 30
_MAX_AGE = re.compile(r"max-age\s*=\s*(\d+)", re.IGNORECASE)


def freshness_secs(headers: httpx.Headers) -> float:
    """How long a JWKS answer may be used, from Cache-Control (and Age)."""
    control = headers.get("cache-control", "").lower()
    if "no-store" in control or "no-cache" in control:
        return 0.0
    found = _MAX_AGE.search(control)
    if found is None:
        return float(JWKS_DEFAULT_MAX_AGE_SECS)
    age = headers.get("age", "0")
    return max(0.0, float(found.group(1)) - (float(age) if age.isdigit() else 0.0))


def parse_jwks(document: Any) -> dict[str, jwt.PyJWK]:
    """RSA keys by key id; unusable entries are skipped."""
    keys: dict[str, jwt.PyJWK] = {}
    for entry in document.get("keys", []) if isinstance(document, dict) else []:
        if not isinstance(entry, dict) or entry.get("kty") != "RSA" or "kid" not in entry:
            continue
        try:
            keys[str(entry["kid"])] = jwt.PyJWK(entry, algorithm=GOOGLE_ALGORITHM)
        except jwt.PyJWTError:
            continue
    return keys


class JwksCache:
    def __init__(self, url: str, clock: Callable[[], float] = time.monotonic) -> None:
        self.url = url
        self._clock = clock
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fresh_until = 0.0
        self._last_fetch = float("-inf")
        self._lock = asyncio.Lock()

    async def key(self, kid: str) -> jwt.PyJWK:
        if self._clock() >= self._fresh_until:
            await self._refresh(unknown_kid=False)
        if kid not in self._keys:
            await self._refresh(unknown_kid=True)
        if kid not in self._keys:
            raise GoogleTokenInvalid("The Google token is not signed by Google.", reason="key")
        return self._keys[kid]

    async def _refresh(self, unknown_kid: bool) -> None:
        async with self._lock:
            now = self._clock()
            if not unknown_kid and now < self._fresh_until:
                return  # another request refreshed while this one waited
            if unknown_kid and now - self._last_fetch < JWKS_REFETCH_MIN_INTERVAL_SECS:
                return
            self._last_fetch = now
            try:
                keys, fresh_secs = await self._fetch()
            except (httpx.HTTPError, ValueError) as exc:
                self._fetch_failed(now, exc)
                return
            self._keys, self._fresh_until = keys, now + fresh_secs

    async def _fetch(self) -> tuple[dict[str, jwt.PyJWK], float]:
        async with httpx.AsyncClient(timeout=JWKS_FETCH_TIMEOUT_SECS) as client:
            response = await client.get(self.url)
            response.raise_for_status()
        keys = parse_jwks(response.json())
        if not keys:
            raise ValueError("the JWKS holds no usable RSA key")
        return keys, freshness_secs(response.headers)

    def _fetch_failed(self, now: float, exc: Exception) -> None:
        log.warning("fetching Google's keys from %s failed: %s", self.url, exc)
        if not self._keys:
            raise Unavailable(
                "Google sign-in is unavailable right now.", code="google_unavailable"
            ) from exc
        self._fresh_until = now + JWKS_RETRY_AFTER_FAILURE_SECS


class GoogleVerifier:
    def __init__(self, settings: Settings) -> None:
        self.client_id = settings.google_client_id
        self.jwks = JwksCache(settings.google_jwks_url)

    async def verify(self, id_token: str) -> GoogleIdentity:
        """The identity in a valid Google ID token; GoogleTokenInvalid with a `reason` if not."""
        if not self.client_id:
            raise NotEnabled("Google sign-in is not configured.", code="google_disabled")
        key = await self.jwks.key(_key_id(id_token))
        claims = _decode(id_token, key, self.client_id)
        return _identity(claims)


def _key_id(id_token: str) -> str:
    try:
        header = jwt.get_unverified_header(id_token)
    except jwt.DecodeError as exc:
        raise GoogleTokenInvalid("The Google token is malformed.", reason="malformed") from exc
    if header.get("alg") != GOOGLE_ALGORITHM or not isinstance(header.get("kid"), str):
        raise GoogleTokenInvalid("The Google token is not signed by Google.", reason="algorithm")
    return str(header["kid"])


_REASONS: tuple[tuple[type[jwt.PyJWTError], str], ...] = (
    (jwt.ExpiredSignatureError, "expired"),
    (jwt.InvalidAudienceError, "audience"),
    (jwt.InvalidIssuerError, "issuer"),
    (jwt.InvalidSignatureError, "signature"),
    (jwt.MissingRequiredClaimError, "claims"),
)


def _decode(id_token: str, key: jwt.PyJWK, client_id: str) -> dict[str, Any]:
    try:
        claims: dict[str, Any] = jwt.decode(
            id_token,
            key.key,
            algorithms=[GOOGLE_ALGORITHM],
            audience=client_id,
            issuer=GOOGLE_ISSUERS,
            leeway=GOOGLE_CLOCK_SKEW_SECS,
            options={"require": ["exp", "iat", "iss", "aud", "sub"]},
        )
    except jwt.PyJWTError as exc:
        reason = next((name for kind, name in _REASONS if isinstance(exc, kind)), "invalid")
        raise GoogleTokenInvalid("The Google token is not valid.", reason=reason) from exc
    return claims


def _identity(claims: dict[str, Any]) -> GoogleIdentity:
    # Older tokens carry the flag as the string "true".
    if claims.get("email_verified") not in (True, "true"):
        raise GoogleTokenInvalid("The Google account's email is not verified.", reason="email")
    try:
        email = normalise_email(str(claims.get("email", "")))
    except AppError as exc:
        raise GoogleTokenInvalid("The Google token has no email.", reason="email") from exc
    return GoogleIdentity(
        subject=str(claims["sub"]),
        email=email,
        name=str(claims.get("name", "")),
        picture=str(claims.get("picture", "")),
    )
