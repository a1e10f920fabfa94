"""Access-token JWTs: what is issued, and every way a token is refused. Pure, no I/O."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from server.accounts.tokens import Principal, decode_access_token, issue_access_token
from server.errors import TokenExpired, TokenInvalid
from server.settings import Settings, load_settings

PRINCIPAL = Principal(user_id=uuid.uuid4(), role="interviewer", sid=uuid.uuid4())


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings({"DATA_DIR": str(tmp_path), "JWT_SECRET": "s" * 64})


def claims(settings: Settings, **changes: Any) -> dict[str, Any]:
    issued = issue_access_token(settings, PRINCIPAL).token
    found = jwt.decode(issued, options={"verify_signature": False})
    found.update(changes)
    return {k: v for k, v in found.items() if v is not None}


def unsigned(payload: dict[str, Any]) -> str:
    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(payload)}."


def test_a_token_round_trips_to_its_principal(settings: Settings) -> None:
    issued = issue_access_token(settings, PRINCIPAL)
    assert issued.expires_in == 15 * 60
    assert decode_access_token(settings, issued.token) == PRINCIPAL


def test_a_token_carries_the_required_claims(settings: Settings) -> None:
    now = datetime(2030, 1, 1, tzinfo=UTC)
    token = issue_access_token(settings, PRINCIPAL, now=now).token
    found = jwt.decode(token, options={"verify_signature": False})
    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    assert found["iat"] == int(now.timestamp()) and found["exp"] == found["iat"] + 900
    assert (found["sub"], found["sid"], found["role"]) == (
        str(PRINCIPAL.user_id),
        str(PRINCIPAL.sid),
        "interviewer",
    )
    assert (found["iss"], found["aud"]) == ("interview-rooms", "interview-rooms")


def test_two_tokens_have_distinct_ids(settings: Settings) -> None:
    first, second = (issue_access_token(settings, PRINCIPAL).token for _ in range(2))
    ids = {jwt.decode(t, options={"verify_signature": False})["jti"] for t in (first, second)}
    assert len(ids) == 2


def test_an_expired_token_is_refused_as_expired(settings: Settings) -> None:
    past = datetime.now(UTC) - timedelta(minutes=16)
    with pytest.raises(TokenExpired):
        decode_access_token(settings, issue_access_token(settings, PRINCIPAL, now=past).token)


RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)

FORGERIES = {
    "alg none": lambda s: unsigned(claims(s)),
    "other secret": lambda s: jwt.encode(claims(s), "o" * 48, algorithm="HS256"),
    "HS512 with the secret": lambda s: jwt.encode(claims(s), s.jwt_secret, algorithm="HS512"),
    "RS256": lambda s: jwt.encode(claims(s), RSA_KEY, algorithm="RS256"),
    "wrong audience": lambda s: jwt.encode(claims(s, aud="x"), s.jwt_secret, algorithm="HS256"),
    "wrong issuer": lambda s: jwt.encode(claims(s, iss="x"), s.jwt_secret, algorithm="HS256"),
    "no sid": lambda s: jwt.encode(claims(s, sid=None), s.jwt_secret, algorithm="HS256"),
    "no jti": lambda s: jwt.encode(claims(s, jti=None), s.jwt_secret, algorithm="HS256"),
    "no exp": lambda s: jwt.encode(claims(s, exp=None), s.jwt_secret, algorithm="HS256"),
    "sub not a uuid": lambda s: jwt.encode(claims(s, sub="1"), s.jwt_secret, algorithm="HS256"),
    "unknown role": lambda s: jwt.encode(claims(s, role="root"), s.jwt_secret, algorithm="HS256"),
    "truncated": lambda s: issue_access_token(s, PRINCIPAL).token[:-4],
    "empty": lambda s: "",
}


@pytest.mark.parametrize("name", sorted(FORGERIES))
def test_forged_tokens_are_refused_as_invalid(settings: Settings, name: str) -> None:
    with pytest.raises(TokenInvalid):
        decode_access_token(settings, FORGERIES[name](settings))
