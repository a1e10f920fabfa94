"""Request body limits, checked before a body is read (413 `payload_too_large`): what each route
takes fits well inside its limit, and nobody can make the app buffer megabytes unasked."""

from __future__ import annotations

from domain.solution import MAX_SECTION_CHARS, SOLUTION_SECTIONS

# Most bodies are a few fields: a question, a hint, a mode.
DEFAULT_BODY_BYTES = 64 * 1024
# Sign-in bodies are an email, a code or a token: a few hundred bytes.
AUTH_BODY_BYTES = 4 * 1024
# A name and an avatar URL.
PROFILE_BODY_BYTES = 8 * 1024
# Every written section at its limit, each character JSON-escaped at worst (\uXXXX = 6 bytes).
SOLUTION_BODY_BYTES = len(SOLUTION_SECTIONS) * MAX_SECTION_CHARS * 6 + 4 * 1024
# An admin's question edit: the brief, the rubric, the reference answers.
QUESTION_EDIT_BODY_BYTES = 512 * 1024
