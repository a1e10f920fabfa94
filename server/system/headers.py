"""Security headers on every HTTP response, errors and static files included (docs/security.md).

The page's Content-Security-Policy is the one its `<meta>` tag declares (so the header cannot
drift from what the page was written against), plus `frame-ancestors 'none'`, which a `<meta>`
policy cannot express. Installed as a Litestar `before_send` hook, which wraps the app's own
`send`, so responses produced by exception handlers and unmatched routes get the headers too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from litestar.datastructures import MutableScopeHeaders

if TYPE_CHECKING:
    from pathlib import Path

    from litestar.types import Message, Scope

FRAME_ANCESTORS = "frame-ancestors 'none'"
# The interactive API docs (development only) load Swagger UI from a CDN and run an inline
# script; under /schema scripts are left unrestricted, framing and plugins are still refused.
SCHEMA_CSP = f"{FRAME_ANCESTORS}; object-src 'none'; base-uri 'none'"
# Google Sign-In checks the page's origin (against the client id's allowed origins) from the
# referrer, which `no-referrer` withholds. Cross-origin requests get the origin, never the path.
REFERRER_POLICY = "strict-origin-when-cross-origin"
FIXED_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", REFERRER_POLICY),
    ("X-Frame-Options", "DENY"),
)

_META_CSP = re.compile(
    r"<meta\s+http-equiv=\"Content-Security-Policy\"\s+content=\"(?P<policy>[^\"]+)\"",
    re.IGNORECASE,
)


def page_policy(index_html: str) -> str:
    """The page's `<meta>` Content-Security-Policy with `frame-ancestors 'none'` added."""
    match = _META_CSP.search(index_html)
    if match is None:
        raise ValueError("web/index.html declares no Content-Security-Policy <meta> tag")
    directives = [part.strip() for part in match.group("policy").split(";") if part.strip()]
    kept = [part for part in directives if not part.startswith("frame-ancestors")]
    return "; ".join([*kept, FRAME_ANCESTORS])


@dataclass(frozen=True)
class SecurityHeaders:
    """The `before_send` hook: adds the headers a response has not set itself."""

    page_csp: str
    schema_path: str = "/schema"

    @classmethod
    def from_index(cls, index_html: Path, schema_path: str = "/schema") -> SecurityHeaders:
        return cls(page_policy(index_html.read_text(encoding="utf-8")), schema_path)

    def for_path(self, path: str) -> tuple[tuple[str, str], ...]:
        under_schema = path == self.schema_path or path.startswith(f"{self.schema_path}/")
        csp = SCHEMA_CSP if under_schema else self.page_csp
        return (("Content-Security-Policy", csp), *FIXED_HEADERS)

    async def __call__(self, message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start":
            return
        headers = MutableScopeHeaders.from_message(message)
        for name, value in self.for_path(scope["path"]):
            if name not in headers:
                headers[name] = value
