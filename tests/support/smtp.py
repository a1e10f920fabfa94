"""A real SMTP server (aiosmtpd) for the suite, and sign-in through the mail it receives."""

from __future__ import annotations

import email
import random
import re
import threading
from email import policy
from email.message import EmailMessage
from typing import Any

import httpx
from aiosmtpd.controller import Controller

from server.operations.embedded import free_port

_CODE = re.compile(r"\b(\d{6})\b")


class SmtpServer:
    """Accepts every message on 127.0.0.1 and keeps it, parsed, for the test to read."""

    def __init__(self) -> None:
        self.host = "127.0.0.1"
        self.port = free_port()
        self.messages: list[EmailMessage] = []
        self._lock = threading.Lock()
        self._controller = Controller(self, hostname=self.host, port=self.port)

    def start(self) -> SmtpServer:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        with self._lock:
            self.messages.append(message)
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        with self._lock:
            return [m for m in self.messages if m["To"] == address]

    def latest(self, address: str) -> EmailMessage:
        """The newest mail to the address. The app answers only after the server took the mail
        (aiosmtpd stores it before its 250 reply), so there is nothing to wait for."""
        found = self.to(address)
        assert found, f"no mail to {address}"
        return found[-1]

    def code_for(self, address: str) -> str:
        """The code in the newest mail to the address, read from its plain-text part."""
        message = self.latest(address)
        body = message.get_body(preferencelist=("plain",))
        assert body is not None, "the mail has a plain-text part"
        found = _CODE.search(body.get_content())
        assert found, body.get_content()
        return found.group(1)


def client_ip() -> str:
    """A fresh address from the benchmarking range (RFC 2544), sent as X-Forwarded-For.

    The suite's app runs with FORWARDED_ALLOW_IPS=127.0.0.1 (tests/conftest.py), so each test is
    its own client and the per-IP limits of one test do not spill into the next.
    """
    return f"198.18.{random.randrange(256)}.{random.randrange(1, 255)}"


async def sign_in(
    http: httpx.AsyncClient, smtp: SmtpServer, address: str, ip: str | None = None
) -> dict[str, Any]:
    """Requests a code, reads it from the real mail, verifies it: the token answer."""
    headers = {"X-Forwarded-For": ip or client_ip()}
    requested = await http.post("/auth/otp/request", json={"email": address}, headers=headers)
    assert requested.status_code == 202, requested.text
    code = smtp.code_for(address.strip().lower())
    verified = await http.post(
        "/auth/otp/verify", json={"email": address, "code": code}, headers=headers
    )
    assert verified.status_code == 200, verified.text
    answer: dict[str, Any] = verified.json()
    return answer


def bearer(answer: dict[str, Any] | str) -> dict[str, str]:
    token = answer if isinstance(answer, str) else answer["access_token"]
    return {"Authorization": f"Bearer {token}"}
