"""Every HTTP response carries the security headers; production serves no Swagger UI."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from litestar import Litestar
from litestar.testing import TestClient

from server.settings import load_settings
from server.system.headers import SCHEMA_CSP, page_policy

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
PAGE_CSP = page_policy((REPO / "web" / "index.html").read_text(encoding="utf-8"))
# Building the app in-process runs Litestar's checks of every handler, which warn about
# deprecated forms used elsewhere (`Parameter(query=)`, inferred dependencies): not ours to fix.
IN_PROCESS_APP = pytest.mark.filterwarnings("ignore::DeprecationWarning")
EXPECTED = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "strict-origin-when-cross-origin",
    "x-frame-options": "DENY",
}


def test_the_page_policy_is_the_meta_policy_plus_frame_ancestors() -> None:
    assert PAGE_CSP.startswith("default-src 'self'; script-src 'self' ")
    assert PAGE_CSP.endswith("; form-action 'self'; frame-ancestors 'none'")


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/", 200),
        ("GET", "/config", 200),
        ("GET", "/no-such-route/anywhere", 404),
        ("GET", "/sessions/not-a-uuid", 404),
        ("POST", "/auth/refresh", 400),
    ],
)
async def test_every_response_carries_the_security_headers(
    http: httpx.AsyncClient, method: str, path: str, status: int
) -> None:
    response = await http.request(method, path, json={} if method == "POST" else None)
    assert response.status_code == status
    assert response.headers["content-security-policy"] == PAGE_CSP
    for name, value in EXPECTED.items():
        assert response.headers[name] == value, name
        assert len(response.headers.get_list(name)) == 1, f"{name} sent twice"


async def test_the_schema_pages_get_a_policy_that_lets_swagger_load(
    http: httpx.AsyncClient,
) -> None:
    swagger = await http.get("/schema/swagger")
    assert swagger.status_code == 200, "development serves Swagger UI"
    assert swagger.headers["content-security-policy"] == SCHEMA_CSP
    assert swagger.headers["x-frame-options"] == "DENY"


def production_settings(tmp_path: Path) -> dict[str, str]:
    return {
        "ENV": "production",
        "JWT_SECRET": "p" * 48,
        "DATA_DIR": str(tmp_path),
        # Never connected to: create_app only builds the app.
        "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none",
        "REDIS_URL": "redis://127.0.0.1:1/0",
    }


def production_app(tmp_path: Path, env: str = "production") -> Litestar:
    from server.app import create_app

    return create_app(load_settings({**production_settings(tmp_path), "ENV": env}))


@IN_PROCESS_APP
def test_production_serves_the_openapi_json_but_no_swagger_ui(tmp_path: Path) -> None:
    production = production_app(tmp_path)
    routes = {route.path for route in production.routes}
    assert "/schema/openapi.json" in routes
    assert "/schema/swagger" not in routes and "/schema/oauth2-redirect.html" not in routes
    client = TestClient(production)  # no lifespan: nothing connects to the database
    assert client.get("/schema/swagger").status_code == 404
    assert client.get("/schema/openapi.json").status_code == 200


@IN_PROCESS_APP
def test_development_keeps_swagger_ui(tmp_path: Path) -> None:
    routes = {route.path for route in production_app(tmp_path, env="development").routes}
    assert {"/schema/swagger", "/schema/openapi.json"} <= routes
