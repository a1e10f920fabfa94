"""A local stand-in for Google's JWKS endpoint: RSA keys generated here, served over real HTTP."""

from __future__ import annotations

import json
import secrets
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

GOOGLE_ISSUER = "https://accounts.google.com"


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_key: rsa.RSAPrivateKey

    @classmethod
    def generate(cls, kid: str | None = None) -> SigningKey:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return cls(kid=kid or secrets.token_hex(8), private_key=key)

    def jwk(self) -> dict[str, Any]:
        public = RSAAlgorithm.to_jwk(self.private_key.public_key(), as_dict=True)
        return {**public, "kid": self.kid, "alg": "RS256", "use": "sig"}

    def sign(self, claims: dict[str, Any], headers: dict[str, Any] | None = None) -> str:
        return jwt.encode(
            claims,
            self.private_key,
            algorithm="RS256",
            headers={"kid": self.kid, **(headers or {})},
        )


class JwksServer:
    """Serves the published keys at /certs with `Cache-Control: max-age`; counts fetches."""

    def __init__(self, max_age_secs: int = 3600) -> None:
        self.max_age_secs = max_age_secs
        self.published: list[SigningKey] = [SigningKey.generate()]
        self.fetches = 0
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/certs"

    @property
    def key(self) -> SigningKey:
        """The newest published key."""
        return self.published[-1]

    def start(self) -> JwksServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def rotate(self) -> SigningKey:
        """Publishes a new key beside the current one, as Google does, and returns it."""
        new = SigningKey.generate()
        with self._lock:
            self.published = [self.published[-1], new]
        return new

    def document(self) -> bytes:
        with self._lock:
            self.fetches += 1
            return json.dumps({"keys": [key.jwk() for key in self.published]}).encode()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        jwks = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path != "/certs":
                    self.send_error(404)
                    return
                body = jwks.document()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Cache-Control", f"public, max-age={jwks.max_age_secs}")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_: Any) -> None:
                pass

        return Handler


def google_claims(client_id: str, email: str, **overrides: Any) -> dict[str, Any]:
    """The claims of a Google ID token for this address, valid for an hour from now."""
    now = int(time.time())
    claims = {
        "iss": GOOGLE_ISSUER,
        "aud": client_id,
        "azp": client_id,
        "sub": str(secrets.randbelow(10**20)),
        "email": email,
        "email_verified": True,
        "name": "Grace Hopper",
        "picture": "https://lh3.googleusercontent.com/a/photo",
        "iat": now,
        "exp": now + 3600,
    }
    return {**claims, **overrides}
