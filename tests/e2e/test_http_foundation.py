"""Health, OpenAPI and the question bank through a real uvicorn process."""

from __future__ import annotations

import httpx

from server.operations.seed import load_bank


async def test_health_reports_each_part_ok(http: httpx.AsyncClient) -> None:
    response = await http.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    for part in ("database", "redis", "broker"):
        assert body[part]["status"] == "ok", body


async def test_openapi_schema_lists_the_question_routes(http: httpx.AsyncClient) -> None:
    schema = (await http.get("/schema/openapi.json")).json()
    assert "/questions" in schema["paths"] and "/questions/{id_or_slug}" in schema["paths"]


async def test_questions_list_the_seeded_bank_in_pages(http: httpx.AsyncClient) -> None:
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 7, **({"cursor": cursor} if cursor else {})}
        page = (await http.get("/questions", params=params)).json()
        seen += [item["slug"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    bank = {question.slug for question, _ in load_bank()}
    assert bank <= set(seen) and len(seen) == len(set(seen))


async def test_questions_filter_by_type_difficulty_company_and_text(
    http: httpx.AsyncClient,
) -> None:
    bank = [question for question, _ in load_bank()]
    lld = (await http.get("/questions", params={"type": "LLD", "limit": 100})).json()["items"]
    assert lld and {item["type"] for item in lld} == {"LLD"}
    hard = (await http.get("/questions", params={"difficulty": "hard", "limit": 100})).json()[
        "items"
    ]
    assert {item["difficulty"] for item in hard} == {"hard"}
    company = bank[0].companies[0]
    by_company = (await http.get("/questions", params={"company": company, "limit": 100})).json()
    assert all(company in [c["name"] for c in item["companies"]] for item in by_company["items"])
    assert bank[0].slug in [item["slug"] for item in by_company["items"]]
    word = bank[0].title.split()[-1]
    found = (await http.get("/questions", params={"q": word})).json()["items"]
    assert bank[0].slug in [item["slug"] for item in found]


async def test_question_by_slug_and_id_hides_the_rubric(http: httpx.AsyncClient) -> None:
    slug = load_bank()[0][0].slug
    by_slug = (await http.get(f"/questions/{slug}")).json()
    by_id = (await http.get(f"/questions/{by_slug['id']}")).json()
    assert by_slug == by_id
    assert (
        by_slug["description"] and "rubric" not in by_slug and "reference_solution" not in by_slug
    )


async def test_bad_query_and_unknown_question_get_coded_errors(http: httpx.AsyncClient) -> None:
    missing = await http.get("/questions/no-such-question")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "question_not_found"
    bad = await http.get("/questions", params={"limit": 0})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_request"
    cursor = await http.get("/questions", params={"cursor": "not-a-cursor"})
    assert cursor.status_code == 400 and cursor.json()["error"]["code"] == "invalid_cursor"
    kind = await http.get("/questions", params={"type": "XYZ"})
    assert kind.status_code == 400
