"""The room socket's command rate limit: a token bucket on an injected clock, no waiting."""

from __future__ import annotations

import pytest

from server.sessions.socket import FRAME_BURST as COMMAND_BURST
from server.sessions.socket import FRAMES_PER_SEC as COMMANDS_PER_SEC
from server.sessions.socket_tools import TokenBucket

ONE_TOKEN_SECS = 1 / COMMANDS_PER_SEC


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def socket_bucket(clock: Clock) -> TokenBucket:
    return TokenBucket(COMMANDS_PER_SEC, COMMAND_BURST, clock)


def taken_until_refused(bucket: TokenBucket) -> int:
    """How many commands pass before the first refusal (bounded: a bucket holds a burst)."""
    for taken in range(int(COMMAND_BURST) + 1):
        if not bucket.take():
            return taken
    raise AssertionError("the bucket never refused")


def test_a_fresh_socket_may_send_a_burst_at_once_and_no_more() -> None:
    assert taken_until_refused(socket_bucket(Clock())) == COMMAND_BURST


@pytest.mark.parametrize(
    ("quiet_secs", "allowed"),
    [
        (0.0, 0),
        (ONE_TOKEN_SECS / 2, 0),
        (ONE_TOKEN_SECS, 1),
        (1.0, COMMANDS_PER_SEC),
        (2.0, 2 * COMMANDS_PER_SEC),
        (COMMAND_BURST / COMMANDS_PER_SEC, COMMAND_BURST),
        (3600.0, COMMAND_BURST),  # a long quiet spell refills the burst, not more
    ],
)
def test_commands_come_back_at_the_rate_up_to_the_burst(quiet_secs: float, allowed: int) -> None:
    clock = Clock()
    bucket = socket_bucket(clock)
    taken_until_refused(bucket)
    clock.now += quiet_secs
    assert taken_until_refused(bucket) == allowed


def test_a_refused_command_does_not_hold_back_the_refill() -> None:
    clock = Clock()
    bucket = socket_bucket(clock)
    taken_until_refused(bucket)
    clock.now += ONE_TOKEN_SECS / 2
    assert not bucket.take(), "half a token is not a command"
    clock.now += ONE_TOKEN_SECS / 2
    assert bucket.take(), "the two halves add up"
    assert not bucket.take()
