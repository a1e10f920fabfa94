"""What a solution's code defines: classes, functions and methods, and whether it parses.

Python is parsed with `ast` (parsed, never run); the other languages of the seed (go, cpp, java)
are read by their declaration keywords. The names let the evaluator check the classes an answer
talks about against the code it wrote, and credit code constructs as statements.
"""

from __future__ import annotations

import ast
import re

import msgspec

# Beyond this much code the reading stops: no honest answer is longer, and parsing stays cheap.
MAX_CODE_CHARS = 20_000
# A name this short says nothing ("i", "id").
MIN_NAME_CHARS = 3
_DECLARATIONS = {
    "java": re.compile(r"\b(?:class|interface|enum|record)\s+([A-Z]\w*)"),
    "cpp": re.compile(r"\b(?:class|struct|enum(?:\s+class)?)\s+([A-Z]\w*)"),
    "go": re.compile(r"\btype\s+([A-Z]\w*)\s+(?:struct|interface)"),
}
_FUNCTIONS = {
    "java": re.compile(
        r"\b(?:public|private|protected|static|final|\s)+[\w<>\[\],\s]+\s(\w+)\s*\("
    ),
    "cpp": re.compile(r"\b[\w:<>*&]+\s+(\w+)\s*\([^;{]*\)\s*(?:const\s*)?\{"),
    "go": re.compile(r"\bfunc\s+(?:\([^)]*\)\s*)?(\w+)\s*\("),
}
_CLASS_WORD = re.compile(r"\b([A-Z][a-z0-9]+(?:[A-Z][a-z0-9]+)+|[A-Z][a-z0-9]{2,})\b")


class CodeFacts(msgspec.Struct, frozen=True):
    parses: bool  # parses and defines at least one class or function
    classes: frozenset[str]
    functions: frozenset[str]

    @property
    def names(self) -> frozenset[str]:
        return self.classes | self.functions


EMPTY = CodeFacts(parses=False, classes=frozenset(), functions=frozenset())


def _python(code: str) -> CodeFacts:
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return EMPTY
    classes = {n.name for n in ast.walk(tree) if isinstance(n, ast.ClassDef)}
    functions = {
        n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
    }
    # "a, b, c" parses too: code that defines nothing is not an implementation.
    return CodeFacts(bool(classes or functions), frozenset(classes), frozenset(functions))


def read_code(code: str, language: str) -> CodeFacts:
    code = code[:MAX_CODE_CHARS]
    if not code.strip():
        return EMPTY
    if language == "python":
        return _python(code)
    declarations, functions = _DECLARATIONS.get(language), _FUNCTIONS.get(language)
    if declarations is None or functions is None:
        return EMPTY
    classes = frozenset(declarations.findall(code))
    named = frozenset(n for n in functions.findall(code) if len(n) >= MIN_NAME_CHARS)
    return CodeFacts(bool(classes or named), classes, named - {"if", "for", "while", "switch"})


def classes_named_in(text: str) -> set[str]:
    """CamelCase words of a prose section: the classes it names (`ParkingLot`, `Ticket`)."""
    return set(_CLASS_WORD.findall(text))
