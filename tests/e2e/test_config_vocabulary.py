"""`GET /config` serves the room's vocabulary from its one source in Python, not a copy."""

from __future__ import annotations

import httpx
import pytest

from domain.commands import MAX_TEXT_CHARS
from domain.decide import CLIENT_COMMAND_TYPES, COMMANDS
from domain.phases import PHASE_LABELS, TERMINAL, Phase
from domain.solution import (
    DEFAULT_LANGUAGE,
    DRAFT_PARTS,
    HLD_SECTION_LABELS,
    LANGUAGES,
    MAX_SECTION_CHARS,
    SECTION_LABELS,
)
from domain.timers import MAX_PHASE_SECS, MIN_PHASE_SECS
from server.errors import ERRORS, AppError
from server.sessions.socket import BAD_REQUEST_CLOSE, FLOODING_CLOSE

pytestmark = pytest.mark.e2e


async def test_config_serves_the_vocabulary_of_the_python_sources(
    http: httpx.AsyncClient, app_env: dict[str, str]
) -> None:
    config = (await http.get("/config")).json()
    assert set(config) == {"google_client_id", "vocabulary"}
    assert config["google_client_id"] == app_env.get("GOOGLE_CLIENT_ID")
    vocabulary = config["vocabulary"]

    assert vocabulary["sections"] == [
        {
            "name": part,
            "label": SECTION_LABELS.get(part, "Language"),
            "hld_label": HLD_SECTION_LABELS.get(part, "Language"),
        }
        for part in DRAFT_PARTS
    ]
    assert {"name": "language", "label": "Language", "hld_label": "Language"} in vocabulary[
        "sections"
    ]
    hld = {section["name"]: section["hld_label"] for section in vocabulary["sections"]}
    assert (hld["entities"], hld["code"]) == ("Data model", "Deep dives")
    assert vocabulary["languages"] == list(LANGUAGES)
    assert vocabulary["default_language"] == DEFAULT_LANGUAGE
    assert vocabulary["limits"] == {
        "section_chars": MAX_SECTION_CHARS,
        "text_chars": MAX_TEXT_CHARS,
        "min_phase_secs": MIN_PHASE_SECS,
        "max_phase_secs": MAX_PHASE_SECS,
    }
    assert vocabulary["phases"] == [
        {
            "name": phase.value,
            "label": PHASE_LABELS[phase],
            "terminal": phase in TERMINAL,
            "open": phase in COMMANDS["draft"].phases,
        }
        for phase in Phase
    ]
    assert [p["name"] for p in vocabulary["phases"] if p["open"]] == ["clarifying", "design"]
    assert sorted(vocabulary["client_command_types"]) == sorted(CLIENT_COMMAND_TYPES)


async def test_config_names_every_close_code_the_room_socket_uses(http: httpx.AsyncClient) -> None:
    closes = (await http.get("/config")).json()["vocabulary"]["close_codes"]
    meanings = {close["code"]: close["meaning"] for close in closes}
    assert len(meanings) == len(closes), "one meaning per code"
    # Every refusal the translator can give a socket, and the socket's own two closes.
    refusals = {t.close_code for cls, t in ERRORS.items() if issubclass(cls, AppError)}
    assert set(meanings) == refusals | {BAD_REQUEST_CLOSE, FLOODING_CLOSE}
    # The ones docs/protocol.md lists, with the keys the page words.
    assert {
        BAD_REQUEST_CLOSE: "bad_request",
        4401: "unauthorized",
        4403: "forbidden",
        4404: "not_found",
        FLOODING_CLOSE: "flooding",
    }.items() <= meanings.items()
