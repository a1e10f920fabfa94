"""A local OpenAI-compatible server: `/v1/chat/completions`, streamed (SSE) and not, scripted.

Runs uvicorn with a tiny ASGI app in a thread, so the real `AsyncOpenAI` client (in the test
process or in worker subprocesses) talks to it over HTTP. A test scripts a scenario with
`script(name, *replies)` and puts the returned marker into the solution text; every request
whose prompt contains the marker gets the scenario's next reply (the last one repeats).
Requests without a marker get `default`. A request that asks to continue an answer
(`prompts.CONTINUE_PROMPT` after the assistant's beginning of it) gets the rest of the reply's
answer after that beginning, as a model following the instruction would; `continues=False`
plays a model that starts over instead.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Literal

import uvicorn

from evaluator.prompts import CONTINUE_PROMPT, RESULT_DELIMITER
from server.operations.embedded import free_port

MARKER = re.compile(r"\[\[fake:([a-z0-9_-]+)\]\]")
GOOD_RESULT: dict[str, Any] = {
    "score": 72,
    "sections": {
        "functional_req": {"score": 80, "comment": "Clear and complete."},
        "apis": {"score": 55, "comment": "Endpoints named, errors missing."},
    },
    "strengths": ["Clear requirements", "Sensible entities"],
    "weaknesses": ["No failure handling"],
    "improvement_points": ["Describe retries and timeouts"],
    "follow_up_questions": ["How would you scale writes?"],
}
FEEDBACK = (
    "Your requirements are clear and you picked sensible entities. "
    "The API section names the endpoints but says nothing about errors. "
    "Think about what happens when a dependency is slow or down."
)

Kind = Literal["stream", "status", "hang", "drop"]


@dataclass(frozen=True)
class Reply:
    """One scripted answer. `result` may be a dict (valid JSON) or a raw string (broken)."""

    kind: Kind = "stream"
    text: str = FEEDBACK
    result: dict[str, Any] | str = field(default_factory=lambda: dict(GOOD_RESULT))
    status: int = 200
    first_byte_delay: float = 0.0
    chunk_delay: float = 0.0
    chunk_chars: int = 12
    headers: dict[str, str] = field(default_factory=dict)
    # The whole message content as given (a structured-output answer), instead of feedback.
    content: str | None = None
    # Asked to continue an answer, it sends only the rest; False: it starts over.
    continues: bool = True

    def answer(self, after: str = "") -> str:
        """The answer; if asked to continue after `after` (its beginning), the rest of it."""
        if self.content is not None:
            return self.content
        body = self.result if isinstance(self.result, str) else json.dumps(self.result)
        whole = f"{self.text}\n{RESULT_DELIMITER}\n{body}"
        if after and self.continues and whole.startswith(after):
            return whole[len(after) :]
        return whole


def continued_from(messages: list[dict[str, Any]]) -> str:
    """The beginning of an answer a request asks the model to continue ("" if none)."""
    if len(messages) < 2 or messages[-1].get("content") != CONTINUE_PROMPT:
        return ""
    before = messages[-2]
    return str(before.get("content") or "") if before.get("role") == "assistant" else ""


@dataclass
class Call:
    scenario: str
    stream: bool
    messages: list[dict[str, Any]]
    at: float
    request: dict[str, Any] = field(default_factory=dict)


class FakeOpenAI:
    def __init__(self) -> None:
        self.port = free_port()
        self.scripts: dict[str, list[Reply]] = {}
        self.default: list[Reply] = [Reply()]
        self.calls: list[Call] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._served: dict[str, int] = {}
        self._lock = threading.Lock()
        config = uvicorn.Config(
            self._app,
            host="127.0.0.1",
            port=self.port,
            log_level="critical",
            lifespan="off",
            ws="none",
            http="h11",
            interface="asgi3",
            timeout_graceful_shutdown=1,
            backlog=4096,
            limit_concurrency=None,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> FakeOpenAI:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("fake OpenAI server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(10)

    def script(self, name: str, *replies: Reply) -> str:
        """Scripts scenario `name`; returns the marker to put in the prompt."""
        with self._lock:
            self.scripts[name] = list(replies) or [Reply()]
            self._served[name] = 0
        return f"[[fake:{name}]]"

    def calls_for(self, name: str) -> list[Call]:
        return [call for call in self.calls if call.scenario == name]

    def reset_concurrency(self) -> None:
        with self._lock:
            self.max_in_flight = self.in_flight

    def _next(self, scenario: str) -> Reply:
        with self._lock:
            replies = self.scripts.get(scenario, self.default)
            served = self._served.get(scenario, 0)
            self._served[scenario] = served + 1
            return replies[min(served, len(replies) - 1)]

    def _enter(self) -> None:
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def _leave(self) -> None:
        with self._lock:
            self.in_flight -= 1

    async def _app(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        if scope["path"] != "/v1/chat/completions":
            await _respond(send, 404, {"error": {"message": "not found"}})
            return
        request = json.loads(body)
        text = " ".join(str(m.get("content", "")) for m in request.get("messages", []))
        found = MARKER.search(text)
        scenario = found.group(1) if found else "default"
        stream = bool(request.get("stream"))
        self.calls.append(Call(scenario, stream, request.get("messages", []), time.time(), request))
        reply = self._next(scenario)
        self._enter()
        try:
            answer = reply.answer(continued_from(request.get("messages", [])))
            await _serve(reply, answer, stream, request.get("model", "fake"), receive, send)
        finally:
            self._leave()


async def _respond(
    send: Any, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None
) -> None:
    data = json.dumps(payload).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]
    raw += [(k.encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": data})


async def _wait_or_disconnect(receive: Any, secs: float) -> bool:
    """Sleeps `secs`; True if the client went away meanwhile."""
    try:
        message = await asyncio.wait_for(receive(), secs)
    except TimeoutError:
        return False
    return bool(message.get("type") == "http.disconnect")


def _chunk(model: str, content: str | None, finish: str | None = None) -> bytes:
    delta = {"content": content} if content is not None else {}
    payload = {
        "id": "chatcmpl-fake",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    return f"data: {json.dumps(payload)}\n\n".encode()


async def _serve(
    reply: Reply, answer: str, stream: bool, model: str, receive: Any, send: Any
) -> None:
    if reply.first_byte_delay and await _wait_or_disconnect(receive, reply.first_byte_delay):
        return
    if reply.kind == "hang":
        await _wait_or_disconnect(receive, 3600)
        return
    if reply.kind == "status":
        error = {"error": {"message": f"scripted {reply.status}", "type": "fake"}}
        await _respond(send, reply.status, error, reply.headers)
        return
    if not stream:
        completion = {
            "id": "chatcmpl-fake",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "stop",
                    "message": {"role": "assistant", "content": answer},
                }
            ],
        }
        await _respond(send, 200, completion)
        return
    await _stream(reply, answer, model, receive, send)


async def _stream(reply: Reply, answer: str, model: str, receive: Any, send: Any) -> None:
    headers = [(b"content-type", b"text/event-stream"), (b"cache-control", b"no-cache")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    pieces = [answer[i : i + reply.chunk_chars] for i in range(0, len(answer), reply.chunk_chars)]
    if reply.kind == "drop":
        pieces = pieces[: max(1, len(pieces) // 3)]
    for piece in pieces:
        await send({"type": "http.response.body", "body": _chunk(model, piece), "more_body": True})
        if reply.chunk_delay and await _wait_or_disconnect(receive, reply.chunk_delay):
            return
    if reply.kind == "drop":
        raise ConnectionAbortedError("scripted: the connection drops mid-stream")
    await send(
        {"type": "http.response.body", "body": _chunk(model, None, "stop"), "more_body": True}
    )
    await send({"type": "http.response.body", "body": b"data: [DONE]\n\n"})
