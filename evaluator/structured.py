"""Splitting a streamed answer into the prose the room sees and the JSON that is validated, and
following that prose across the attempts that continue it.

The delimiter may arrive cut across chunks, so the splitter holds back any tail of the prose
that could be the delimiter's beginning, and releases it once it is clearly prose.
"""

from __future__ import annotations

from dataclasses import dataclass

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


# A continuation that begins with this much of the shown text (or all of it, if shorter) has
# started over: enough that a true continuation never matches by chance.
RESTART_PROBE_CHARS = 48


@dataclass(frozen=True)
class Shown:
    """What one piece of a model's answer adds to the room."""

    text: str
    # The model started over: the room's stream must begin afresh before `text`.
    restart: bool = False


class Feedback:
    """The feedback prose of one evaluation across attempts, and across workers: what the room
    shows, and what the current attempt adds to it.

    Each attempt continues after what is shown (`begin` says what that is, for the prompt). A
    model that starts over instead is caught by its first `RESTART_PROBE_CHARS`: held back and
    compared with the beginning of the shown text; if they match, the attempt's text replaces
    the shown text (`restart`) instead of following it twice.
    """

    def __init__(self, shown: str = "") -> None:
        self._shown: list[str] = [shown] if shown else []
        self._splitter = AnswerSplitter()
        self._prefix = ""
        self._probe: str | None = None  # a continuation's start, until it is known to continue
        self.complete = False

    @property
    def prose(self) -> str:
        return "".join(self._shown)

    @property
    def structured(self) -> str | None:
        return self._splitter.structured

    @property
    def answer(self) -> str:
        """The whole answer, as if written in one go (for asking the model to repair the JSON)."""
        return self.prose + RESULT_DELIMITER + (self.structured or "")

    def begin(self) -> str:
        """Starts an attempt; returns the shown text it must continue ("" = from the start)."""
        self._splitter = AnswerSplitter()
        self._prefix = self.prose
        self._probe = "" if self._prefix.strip() else None
        return self._prefix

    def feed(self, chunk: str) -> Shown:
        return self._show(self._splitter.feed(chunk), final=False)

    def finish(self) -> Shown:
        """The attempt's stream ended: the rest of its prose. The answer is complete."""
        self.complete = True
        return self._show(self._splitter.finish(), final=True)

    def _show(self, text: str, final: bool) -> Shown:
        if self._probe is None:
            return self._release(text)
        self._probe += text
        head, start = self._probe.lstrip(), self._prefix.lstrip()
        need = min(len(start), RESTART_PROBE_CHARS)
        if len(head) < need and start.startswith(head) and not final:
            return Shown("")  # it may yet be the beginning again: wait and see
        probe, self._probe = self._probe, None
        if head[:need] == start[:need] and len(head) >= need:
            self._shown = []
            return Shown(self._release(probe).text, restart=True)
        return self._release(probe)

    def _release(self, text: str) -> Shown:
        if text:
            self._shown.append(text)
        return Shown(text)
