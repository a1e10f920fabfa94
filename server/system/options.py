"""`OPTIONS` answers list every method of their path in `Allow`, as the 405 answers already do.

Litestar 2 builds a path's automatic OPTIONS handler when the path's first handler is
registered and keeps it when more are added, so `OPTIONS /me` said `Allow: GET, OPTIONS`
without PATCH (litestar-org/litestar#4169, fixed in Litestar 3). Installed as a `before_send`
hook that rewrites the header of those answers from the route the request matched.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from litestar.datastructures import MutableScopeHeaders
from litestar.routes import HTTPRoute

if TYPE_CHECKING:
    from litestar import Litestar
    from litestar.types import Message, Scope


def route_methods(app: Litestar, path_template: str) -> set[str] | None:
    """Every method the route at `path_template` (e.g. `/sessions/{session_id}`) answers."""
    for route in app.routes:
        if isinstance(route, HTTPRoute) and route.path_format == path_template:
            return set(route.methods)
    return None


async def allow_every_method(message: Message, scope: Scope) -> None:
    """The `before_send` hook: fixes `Allow` on the answers of the automatic OPTIONS handler."""
    if message["type"] != "http.response.start" or scope.get("method") != "OPTIONS":
        return
    headers = MutableScopeHeaders.from_message(message)
    template = scope.get("path_template")
    if "allow" not in headers or not isinstance(template, str):
        return
    methods = route_methods(scope["app"], template)
    if methods:
        headers["Allow"] = ", ".join(sorted(methods))
