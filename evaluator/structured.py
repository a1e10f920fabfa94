"""Splitting a streamed answer into the prose the room sees and the JSON that is validated.

The delimiter may arrive cut across chunks, so the splitter holds back any tail of the prose
that could be the delimiter's beginning, and releases it once it is clearly prose.
"""

from __future__ import annotations

from evaluator.prompts import RESULT_DELIMITER


class AnswerSplitter:
    def __init__(self, delimiter: str = RESULT_DELIMITER) -> None:
        self._delimiter = delimiter
        self._held = ""
        self._prose: list[str] = []
        self._structured: list[str] | None = None

    def feed(self, chunk: str) -> str:
        """The prose that may be shown now (possibly empty)."""
        if self._structured is not None:
            self._structured.append(chunk)
            return ""
        text = self._held + chunk
        at = text.find(self._delimiter)
        if at >= 0:
            self._structured = [text[at + len(self._delimiter) :]]
            self._held = ""
            return self._release(text[:at])
        keep = self._partial_delimiter(text)
        self._held = text[len(text) - keep :] if keep else ""
        return self._release(text[: len(text) - keep])

    def finish(self) -> str:
        """The rest of the prose, at the end of the stream."""
        rest, self._held = self._held, ""
        return self._release(rest)

    @property
    def prose(self) -> str:
        return "".join(self._prose)

    @property
    def structured(self) -> str | None:
        """The text after the delimiter, or None if the delimiter never came."""
        return None if self._structured is None else "".join(self._structured)

    @property
    def answer(self) -> str:
        """The whole answer as the model wrote it (for asking it to repair the JSON)."""
        return self.prose + self._delimiter + (self.structured or "")

    def _release(self, text: str) -> str:
        if text:
            self._prose.append(text)
        return text

    def _partial_delimiter(self, text: str) -> int:
        """Length of the longest end of `text` that begins the delimiter."""
        for size in range(min(len(text), len(self._delimiter) - 1), 0, -1):
            if self._delimiter.startswith(text[-size:]):
                return size
        return 0
