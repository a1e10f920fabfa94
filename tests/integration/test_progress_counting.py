"""Which evaluated attempts count in progress (evaluator/stats.py COUNTED_ATTEMPT): ten words
or more across the written sections, on a real Postgres."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from domain.room_tables import UserStats
from domain.tables import Evaluation, InterviewSession, Solution
from evaluator.stats import MIN_COUNTED_WORDS, ProgressStore
from server.operations import db
from tests.integration.rooms_support import make_session, make_user

NINE = "one two three four five six seven eight nine"


@pytest.mark.parametrize(
    ("sections", "counted"),
    [
        ({}, False),
        ({"functional_req": NINE}, False),
        ({"functional_req": NINE + " ten"}, True),
        ({"entities": "Cache, Node, List", "apis": "get(key) put(key, value) evict(key)"}, True),
        ({"extra": "- - - ... ,,, ??? !!! --- *** /// ((( )))"}, False),  # no word at all
        ({"code": "class_name_with_underscores " * 9}, False),  # one identifier is one word
        ({"code": "class Lru:\n    def get(self, key): return self.map[key]"}, True),
    ],
)
async def test_an_attempt_counts_from_ten_words_across_its_sections(
    database: str, sections: dict[str, str], counted: bool
) -> None:
    assert MIN_COUNTED_WORDS == 10
    user = await make_user()
    session_id, question_id = await make_session(user, "tic-tac-toe")
    now = datetime.now(UTC)
    await InterviewSession.update({InterviewSession.status: "evaluated"}).where(
        InterviewSession.id == uuid.UUID(session_id)
    )
    solution_id = uuid.uuid4()
    await Solution.insert(
        Solution(id=solution_id, session_id=uuid.UUID(session_id), submitted_at=now, **sections)
    )
    await Evaluation.insert(Evaluation(solution_id=solution_id, score=30, evaluated_at=now))

    await ProgressStore(db.pool).refresh_progress(user, uuid.UUID(question_id))
    stats = await UserStats.select().where(UserStats.user_id == user).first()
    assert stats is not None
    assert stats["sessions_completed"] == (1 if counted else 0)
    assert stats["average_score"] == (30.0 if counted else 0.0)
    assert (stats["rank"] is not None) == counted
