"""Sends one-time codes: over SMTP when SMTP_HOST is set, else to the log outside production."""

from __future__ import annotations

import html
import logging
from email.message import EmailMessage
from typing import TYPE_CHECKING

import aiosmtplib

from server.errors import Unavailable

if TYPE_CHECKING:
    from server.settings import Settings

log = logging.getLogger("interview_rooms.auth.mailer")

# A mail server that has not answered by then will not; the user can ask for a new code.
SMTP_TIMEOUT_SECS = 10.0
SUBJECT = "Your Interview Rooms sign-in code"


def code_message(settings: Settings, to: str, code: str, valid_mins: int) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = to
    message["Subject"] = SUBJECT
    message.set_content(
        f"Your sign-in code is {code}\n\n"
        f"It works once, for {valid_mins} minutes. If you did not ask for it, ignore this mail.\n"
    )
    message.add_alternative(
        "<html><body>"
        "<p>Your sign-in code is "
        f'<strong style="font-size:1.4em">{html.escape(code)}</strong></p>'
        f"<p>It works once, for {valid_mins} minutes. "
        "If you did not ask for it, ignore this mail.</p>"
        "</body></html>",
        subtype="html",
    )
    return message


async def send_code(settings: Settings, to: str, code: str, valid_mins: int) -> None:
    """Delivers the code or raises Unavailable(email_unavailable)."""
    if settings.smtp_host is None:
        _log_instead(settings, to, code)
        return
    try:
        await aiosmtplib.send(
            code_message(settings, to, code, valid_mins),
            hostname=settings.smtp_host,
            port=settings.smtp_port,
            username=settings.smtp_username,
            password=settings.smtp_password,
            use_tls=settings.smtp_tls == "ssl",
            start_tls=settings.smtp_tls == "starttls",
            timeout=SMTP_TIMEOUT_SECS,
        )
    except (aiosmtplib.SMTPException, OSError) as exc:
        log.error("could not send a sign-in code via %s: %s", settings.smtp_host, exc)
        raise Unavailable(
            "The sign-in mail could not be sent; try again shortly.", code="email_unavailable"
        ) from exc


def _log_instead(settings: Settings, to: str, code: str) -> None:
    if settings.production:
        log.error("SMTP_HOST is not set: sign-in codes cannot be delivered in production")
        raise Unavailable(
            "Sign-in by email is not configured on this server.", code="email_unavailable"
        )
    # Development only: there is no mail server, so the developer reads the code here.
    log.warning("SMTP_HOST is not set; sign-in code for %s is %s", to, code)
