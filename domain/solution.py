"""The solution a candidate writes: its parts, their labels, the code's language.

This is the one list of solution parts; everything else (draft commands, the REST body, the
rubric, the evaluator's prompt, the SQL column lists, the page via `GET /config`) derives from it.
"""

from __future__ import annotations

from typing import Literal, get_args

# Every part of a draft, in the order the room shows them; `language` labels the code.
DraftPart = Literal[
    "functional_req",
    "non_functional_req",
    "entities",
    "classes_and_relationships",
    "apis",
    "code",
    "language",
    "extra",
]
Language = Literal["go", "cpp", "java", "python"]

DRAFT_PARTS: tuple[DraftPart, ...] = get_args(DraftPart)
LANGUAGES: tuple[Language, ...] = get_args(Language)
DEFAULT_LANGUAGE: Language = "python"
# The written sections: what the rubric scores and the solutions table stores as text.
SOLUTION_SECTIONS: tuple[DraftPart, ...] = tuple(p for p in DRAFT_PARTS if p != "language")
SECTION_LABELS: dict[DraftPart, str] = {
    "functional_req": "Functional requirements",
    "non_functional_req": "Non-functional requirements",
    "entities": "Entities",
    "classes_and_relationships": "Classes and relationships",
    "apis": "APIs",
    "code": "Code",
    "extra": "Trade-offs and extras",
}
assert tuple(SECTION_LABELS) == SOLUTION_SECTIONS, "one label per written section, in order"
# The same fields as a high-level design is written: a URL shortener is not "Classes and
# relationships" and "Code" but a data model, a high-level design and its deep dives.
HLD_SECTION_LABELS: dict[DraftPart, str] = {
    "functional_req": "Requirements",
    "non_functional_req": "Capacity estimates and non-functional requirements",
    "entities": "Data model",
    "classes_and_relationships": "High-level design",
    "apis": "API",
    "code": "Deep dives",
    "extra": "Trade-offs and extras",
}
assert tuple(HLD_SECTION_LABELS) == SOLUTION_SECTIONS, "one HLD label per written section"
# A whole section (the code one in particular) fits comfortably; larger bodies are abuse and
# would bloat every snapshot and replay.
MAX_SECTION_CHARS = 20_000


_LABELS: dict[str, str] = {str(part): label for part, label in SECTION_LABELS.items()}
_HLD_LABELS: dict[str, str] = {str(part): label for part, label in HLD_SECTION_LABELS.items()}


def empty_draft() -> dict[str, str]:
    draft: dict[str, str] = {str(part): "" for part in DRAFT_PARTS}
    draft["language"] = DEFAULT_LANGUAGE
    return draft


def section_label(section: str, question_type: str = "LLD") -> str:
    """The section's name as the candidate sees it for this type of question (LLD or HLD)."""
    labels = _HLD_LABELS if question_type == "HLD" else _LABELS
    return labels.get(section) or section.replace("_", " ").capitalize()
