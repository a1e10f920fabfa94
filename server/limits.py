"""Request body limits, checked before a body is read (413 `payload_too_large`): what each route
takes fits well inside its limit, and nobody can make the app buffer megabytes unasked."""

from __future__ import annotations

from domain.solution import MAX_SECTION_CHARS, SOLUTION_SECTIONS

# Most bodies are a few fields: a question, a hint, a mode.
DEFAULT_BODY_BYTES = 64 * 1024
# One character at its longest in a JSON string: an astral one escaped as a surrogate pair
# (\ud83d\ude00), as clients that escape everything but ASCII send it.
MAX_ESCAPED_CHAR_BYTES = 12
# Sign-in bodies are an email, a code or a token; a token may have 4096 characters
# (server.accounts.schemas.TokenText), so the limit is that token escaped at worst, and the
# rest of the body (a 4 KiB limit refused valid tokens with 413).
AUTH_BODY_BYTES = 4096 * MAX_ESCAPED_CHAR_BYTES + 1024
# A name (200 characters) and an avatar URL (2000: server.accounts.schemas), escaped at worst.
PROFILE_BODY_BYTES = (200 + 2000) * MAX_ESCAPED_CHAR_BYTES + 1024
# Every written section at its limit, each character JSON-escaped at worst.
SOLUTION_BODY_BYTES = len(SOLUTION_SECTIONS) * MAX_SECTION_CHARS * MAX_ESCAPED_CHAR_BYTES + 4 * 1024
# An admin's question edit: the brief, the rubric, the reference answers.
QUESTION_EDIT_BODY_BYTES = 512 * 1024
