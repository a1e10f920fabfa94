"""The Piccolo app: every table of the product and the migrations that create them."""

from __future__ import annotations

from pathlib import Path

from piccolo.conf.apps import AppConfig

from domain.room_tables import (
    SessionEvent,
    SessionInvite,
    SessionObserver,
    SessionSnapshot,
    UserStats,
)
from domain.tables import (
    ClarificationLog,
    ClarificationRule,
    EmailOtp,
    Evaluation,
    InterviewSession,
    Question,
    QuestionCompany,
    Solution,
    User,
    UserAuthSession,
)

TABLES = [
    User,
    UserAuthSession,
    EmailOtp,
    Question,
    QuestionCompany,
    ClarificationRule,
    InterviewSession,
    ClarificationLog,
    Solution,
    Evaluation,
    SessionSnapshot,
    SessionEvent,
    SessionInvite,
    SessionObserver,
    UserStats,
]

APP_CONFIG = AppConfig(
    app_name="interview_rooms",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=TABLES,
)
