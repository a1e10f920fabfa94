"""Piccolo tables: accounts, the question bank, interview sessions and their records.

The migrations in `piccolo_migrations/` are the schema of record; these classes describe it to the
ORM. Enumerated columns carry a CHECK constraint so the database itself refuses a bad value.
"""

from __future__ import annotations

import uuid
from enum import StrEnum

from piccolo.columns import (
    JSONB,
    UUID,
    Array,
    BigInt,
    Boolean,
    ForeignKey,
    Integer,
    OnDelete,
    Real,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.constraints import Check, Unique
from piccolo.table import Table


class UserRole(StrEnum):
    candidate = "candidate"
    interviewer = "interviewer"
    admin = "admin"


class Difficulty(StrEnum):
    easy = "easy"
    medium = "medium"
    hard = "hard"


class QuestionType(StrEnum):
    LLD = "LLD"
    HLD = "HLD"


class Language(StrEnum):
    go = "go"
    cpp = "cpp"
    java = "java"
    python = "python"


class SessionStatus(StrEnum):
    clarifying = "clarifying"
    design = "design"
    submitted = "submitted"
    evaluating = "evaluating"
    evaluated = "evaluated"
    abandoned = "abandoned"
    expired = "expired"


class SessionMode(StrEnum):
    timed = "timed"
    untimed = "untimed"


def _one_of(column: str, values: type[StrEnum]) -> str:
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"


class User(Table, tablename="users"):
    id = UUID(primary_key=True, default=uuid.uuid4)
    created_at = Timestamptz()
    updated_at = Timestamptz()
    created_by = UUID(null=True, default=None)
    updated_by = UUID(null=True, default=None)
    email = Varchar(length=320, unique=True, index=True)
    google_id = Varchar(length=255, unique=True, null=True, default=None)
    name = Varchar(length=200, default="")
    avatar_url = Text(default="")
    role = Varchar(length=20, default=UserRole.candidate.value, choices=UserRole)
    last_login = Timestamptz(null=True, default=None)
    # Listed on the leaderboard (under the display name, or a pseudonym without one).
    leaderboard = Boolean(default=True)
    role_valid = Check(_one_of("role", UserRole))


class UserAuthSession(Table, tablename="user_auth_sessions"):
    """One row per refresh token; `family_id` groups every token descended from one login."""

    id = UUID(primary_key=True, default=uuid.uuid4)
    created_at = Timestamptz()
    user_id = ForeignKey(User, on_delete=OnDelete.cascade, index=True)
    family_id = UUID(index=True)
    refresh_token = Varchar(length=128, unique=True)  # SHA-256 of the opaque token, never the token
    expires_at = Timestamptz()
    rotated_at = Timestamptz(null=True, default=None)
    replaced_by = UUID(null=True, default=None)
    revoked_at = Timestamptz(null=True, default=None)
    user_agent = Varchar(length=400, default="")
    ip = Varchar(length=64, default="")


class EmailOtp(Table, tablename="email_otps"):
    id = UUID(primary_key=True, default=uuid.uuid4)
    created_at = Timestamptz()
    email = Varchar(length=320, index=True)
    otp_hash = Varchar(length=128)
    expires_at = Timestamptz()
    used = Boolean(default=False)
    attempts = Integer(default=0)


class Question(Table, tablename="questions"):
    id = UUID(primary_key=True, default=uuid.uuid4)
    created_at = Timestamptz()
    updated_at = Timestamptz()
    slug = Varchar(length=120, unique=True, index=True)
    title = Varchar(length=200)
    description = Text()
    difficulty = Varchar(length=10, choices=Difficulty, index=True)
    type = Varchar(length=3, choices=QuestionType, index=True)
    acceptance_rate = Integer(default=0)
    # Evaluated attempts that count in statistics (evaluator/stats.py): the acceptance rate's
    # denominator, and the bank's popularity order.
    attempts = Integer(default=0)
    is_locked = Boolean(default=False)
    is_coming_soon = Boolean(default=False)
    topics = Array(base_column=Varchar(length=80), default=list)
    clarifying_secs = Integer(default=600)
    design_secs = Integer(default=2700)
    max_clarifications = Integer(default=8)
    rubric = JSONB(default="{}")
    reference_solution = JSONB(default="{}")
    # Hash of the bank entry last loaded; `seed` skips rows whose admin edits set `edited_at`.
    seed_hash = Varchar(length=64, default="")
    edited_at = Timestamptz(null=True, default=None)
    difficulty_valid = Check(_one_of("difficulty", Difficulty))
    type_valid = Check(_one_of("type", QuestionType))
    acceptance_rate_range = Check("acceptance_rate BETWEEN 0 AND 100")


class QuestionCompany(Table, tablename="question_companies"):
    id = UUID(primary_key=True, default=uuid.uuid4)
    question_id = ForeignKey(Question, on_delete=OnDelete.cascade, index=True)
    company_name = Varchar(length=120, index=True)
    company_logo_url = Text(default="")
    unique_company = Unique(["question_id", "company_name"])


class ClarificationRule(Table, tablename="clarification_rules"):
    id = UUID(primary_key=True, default=uuid.uuid4)
    question_id = ForeignKey(Question, on_delete=OnDelete.cascade, index=True)
    position = Integer(default=0)
    intent = Text()
    keywords = Array(base_column=Varchar(length=80), default=list)
    # How candidates ask for it, in their own words; the matcher indexes these too.
    examples = Array(base_column=Text(), default=list)
    response = Text()
    max_questions = Integer(default=8)


class InterviewSession(Table, tablename="interview_sessions"):
    id = UUID(primary_key=True, default=uuid.uuid4)
    user_id = ForeignKey(User, on_delete=OnDelete.cascade, index=True)
    question_id = ForeignKey(Question, on_delete=OnDelete.restrict, index=True)
    status = Varchar(length=12, default=SessionStatus.clarifying.value, choices=SessionStatus)
    mode = Varchar(length=8, default=SessionMode.timed.value, choices=SessionMode)
    durations = JSONB(default="{}")
    answer_mode = Varchar(length=8, default="rules")
    clarifications_used = Integer(default=0)
    last_seq = Integer(default=0)
    # Durability of the room's log (rooms/archive.py SeqLedger): every seq ever acknowledged is
    # at most `reserved_seq`, and `epoch` counts the times the room was rebuilt after Redis
    # lost it.
    reserved_seq = BigInt(default=0)
    epoch = Integer(default=0)
    started_at = Timestamptz()
    updated_at = Timestamptz()
    ended_at = Timestamptz(null=True, default=None)
    status_valid = Check(_one_of("status", SessionStatus))
    mode_valid = Check(_one_of("mode", SessionMode))


class ClarificationLog(Table, tablename="clarification_logs"):
    id = UUID(primary_key=True, default=uuid.uuid4)
    session_id = ForeignKey(InterviewSession, on_delete=OnDelete.cascade, index=True)
    clarification_id = Varchar(length=16)
    user_question = Text()
    interviewer_response = Text(default="")
    answered_by = Varchar(length=12, default="")
    # The rule the answer came from (None: the neutral answer, or a human's) and how sure.
    rule_intent = Text(null=True, default=None)
    confidence = Real(null=True, default=None)
    created_at = Timestamptz()
    unique_clarification = Unique(["session_id", "clarification_id"])


class Solution(Table, tablename="solutions"):
    id = UUID(primary_key=True, default=uuid.uuid4)
    session_id = ForeignKey(InterviewSession, on_delete=OnDelete.cascade, unique=True)
    functional_req = Text(default="")
    non_functional_req = Text(default="")
    entities = Text(default="")
    classes_and_relationships = Text(default="")
    apis = Text(default="")
    code = Text(default="")
    extra = Text(default="")
    language = Varchar(length=8, default=Language.python.value, choices=Language)
    submit_reason = Varchar(length=12, default="candidate")
    submitted_at = Timestamptz()
    language_valid = Check(_one_of("language", Language))


class Evaluation(Table, tablename="evaluations"):
    """Stored once per solution: the unique key makes a re-run job a no-op."""

    id = UUID(primary_key=True, default=uuid.uuid4)
    solution_id = ForeignKey(Solution, on_delete=OnDelete.cascade, unique=True)
    score = Integer()
    strengths = Text(default="")
    weaknesses = Text(default="")
    improvement_points = Text(default="")
    details = JSONB(default="{}")  # per-section scores and notes, follow-up questions, lists
    feedback = Text(default="")
    evaluator = Varchar(length=120, default="")
    evaluated_at = Timestamptz()
    score_range = Check("score BETWEEN 0 AND 100")
