"""Settings from environment variables, validated once at start-up.

Every variable is listed in the README. A bad value stops the process with a message naming the
variable, instead of failing later in a request.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, cast
from urllib.parse import urlparse

from evaluator.clarifier.build import ClarifierConfig
from evaluator.config import EvaluatorConfig

DEFAULT_GOOGLE_JWKS_URL = "https://www.googleapis.com/oauth2/v3/certs"
DEFAULT_OPENAI_MODEL = "gpt-4o-mini"
# A secret shorter than this is guessable offline from a single captured token.
MIN_JWT_SECRET_CHARS = 32
# Short-lived access tokens bound how long a stolen token or a demoted role keeps working
# (the revocation set covers logout; this covers everything else).
DEFAULT_ACCESS_TOKEN_TTL_SECS = 15 * 60
# Thirty days: a returning user stays signed in for a month of inactivity; every use rotates it.
DEFAULT_REFRESH_TOKEN_TTL_SECS = 30 * 24 * 3600
# Two tabs, or a retry after a lost response, may present the same refresh token twice within
# moments; inside this window both succeed instead of revoking the family (RFC 9700 §4.14.2).
DEFAULT_AUTH_REFRESH_GRACE_SECS = 10.0
# A job whose worker died is handed to another worker after this long: the TTL of the job's
# lease and of its stream entry, both renewed every third of it while the worker lives. Short,
# so a dead worker's evaluation is taken over in ~15-18 s; three beats per TTL, so one late beat
# loses nothing.
DEFAULT_TASK_REDELIVERY_SECS = 15.0
# One model call, streaming included; a slow model past this is cut off and retried.
DEFAULT_EVALUATION_TIMEOUT_SECS = 120.0
# Model calls per evaluation job (the first and the retries), then the room shows a failure.
DEFAULT_EVALUATION_MAX_ATTEMPTS = 3
# The first retry waits this long, doubling each time (with jitter).
DEFAULT_EVALUATION_BACKOFF_SECS = 2.0
# A submitted solution with no job queued or running for this long is enqueued again.
DEFAULT_EVALUATION_REQUEUE_SECS = 60.0
# An evaluation that no live worker has held for this long is failed so the user can retry.
DEFAULT_EVALUATION_STUCK_SECS = 600.0
# How often the watchdog looks for lost and stuck evaluations.
DEFAULT_EVALUATION_WATCHDOG_SECS = 15.0
# The candidate waits on a clarification answer; past this the offline matcher answers.
DEFAULT_CLARIFY_MODEL_TIMEOUT_SECS = 4.0


class SettingsError(ValueError):
    """A configuration value is missing or malformed; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    env: str = "development"
    host: str = "127.0.0.1"
    port: int = 8000
    database_url: str | None = None
    redis_url: str | None = None
    data_dir: Path = Path(".data")
    jwt_secret: str = ""
    openai_api_key: str | None = None
    openai_base_url: str | None = None
    openai_model: str = DEFAULT_OPENAI_MODEL
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_from: str = "Interview Rooms <no-reply@localhost>"
    smtp_tls: str = "starttls"
    google_client_id: str | None = None
    google_jwks_url: str = DEFAULT_GOOGLE_JWKS_URL
    access_token_ttl_secs: int = DEFAULT_ACCESS_TOKEN_TTL_SECS
    refresh_token_ttl_secs: int = DEFAULT_REFRESH_TOKEN_TTL_SECS
    auth_refresh_grace_secs: float = DEFAULT_AUTH_REFRESH_GRACE_SECS
    allowed_origins: tuple[str, ...] = field(default_factory=tuple)
    public_url: str | None = None
    # Proxies whose X-Forwarded-For uvicorn believes; None = the TCP peer is the client.
    forwarded_allow_ips: str | None = None
    log_level: str = "INFO"
    task_redelivery_secs: float = DEFAULT_TASK_REDELIVERY_SECS
    evaluation_timeout_secs: float = DEFAULT_EVALUATION_TIMEOUT_SECS
    evaluation_max_attempts: int = DEFAULT_EVALUATION_MAX_ATTEMPTS
    evaluation_backoff_secs: float = DEFAULT_EVALUATION_BACKOFF_SECS
    evaluation_requeue_secs: float = DEFAULT_EVALUATION_REQUEUE_SECS
    evaluation_stuck_secs: float = DEFAULT_EVALUATION_STUCK_SECS
    evaluation_watchdog_secs: float = DEFAULT_EVALUATION_WATCHDOG_SECS
    clarify_matcher: str = "auto"
    clarify_model_timeout_secs: float = DEFAULT_CLARIFY_MODEL_TIMEOUT_SECS

    @property
    def clarifier(self) -> str:
        """Which clarification matcher runs: `auto` is the model when a key is set."""
        if self.clarify_matcher == "auto":
            return "model" if self.openai_api_key else "semantic"
        return self.clarify_matcher

    @property
    def evaluator_label(self) -> str:
        """Which evaluator runs: the model when an API key is set, else the offline rubric."""
        return f"openai:{self.openai_model}" if self.openai_api_key else "rubric"

    def clarifier_config(self) -> ClarifierConfig:
        """What the clarification matcher is told; its index cache lives in the data dir."""
        kind = cast('Literal["model", "semantic", "lexical"]', self.clarifier)
        return ClarifierConfig(
            kind=kind,
            cache_dir=self.data_dir / "clarifier",
            openai_api_key=self.openai_api_key,
            openai_base_url=self.openai_base_url,
            openai_model=self.openai_model,
            model_timeout_secs=self.clarify_model_timeout_secs,
        )

    def evaluator_config(self) -> EvaluatorConfig:
        """What the evaluator is told: it never reads these settings itself."""
        assert self.redis_url, "the CLI resolves REDIS_URL before starting workers"
        return EvaluatorConfig(
            redis_url=self.redis_url,
            openai_api_key=self.openai_api_key,
            openai_base_url=self.openai_base_url,
            openai_model=self.openai_model,
            timeout_secs=self.evaluation_timeout_secs,
            max_attempts=self.evaluation_max_attempts,
            backoff_secs=self.evaluation_backoff_secs,
            requeue_secs=self.evaluation_requeue_secs,
            stuck_secs=self.evaluation_stuck_secs,
            watchdog_secs=self.evaluation_watchdog_secs,
            task_redelivery_secs=self.task_redelivery_secs,
        )

    @property
    def production(self) -> bool:
        return self.env == "production"

    @property
    def base_url(self) -> str:
        return self.public_url or f"http://{self.host}:{self.port}"

    @property
    def origins(self) -> tuple[str, ...]:
        """Origins allowed to open a WebSocket; the server's own address is always allowed."""
        own = {self.base_url, f"http://localhost:{self.port}", f"http://127.0.0.1:{self.port}"}
        return tuple(dict.fromkeys([*self.allowed_origins, *sorted(own)]))


def _get(environ: dict[str, str], name: str) -> str | None:
    value = environ.get(name, "").strip()
    return value or None


def _port(environ: dict[str, str], name: str, default: int) -> int:
    raw = _get(environ, name)
    if raw is None:
        return default
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise SettingsError(f"{name} must be a TCP port number (1-65535), got {raw!r}")
    return int(raw)


def _url(environ: dict[str, str], name: str, schemes: tuple[str, ...]) -> str | None:
    raw = _get(environ, name)
    if raw is None:
        return None
    parsed = urlparse(raw)
    if parsed.scheme not in schemes:
        # Not the value itself: a URL may carry a password.
        given = f"{parsed.scheme}://…" if parsed.scheme else "no scheme"
        raise SettingsError(f"{name} must start with one of {', '.join(schemes)}://, got {given}")
    return raw


def _number(environ: dict[str, str], name: str, default: float, low: float, high: float) -> float:
    raw = _get(environ, name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not low <= value <= high:
        raise SettingsError(f"{name} must be a number from {low:g} to {high:g}, got {raw!r}")
    return value


def _choice(environ: dict[str, str], name: str, choices: tuple[str, ...], default: str) -> str:
    value = (_get(environ, name) or default).lower()
    if value not in choices:
        raise SettingsError(f"{name} must be one of {', '.join(choices)}, got {value!r}")
    return value


def _jwt_secret(environ: dict[str, str], env: str, data_dir: Path) -> str:
    secret = _get(environ, "JWT_SECRET")
    if secret is None and env == "production":
        raise SettingsError("JWT_SECRET is required when ENV=production")
    if secret is None:
        secret = _dev_secret(data_dir)
    if len(secret) < MIN_JWT_SECRET_CHARS:
        raise SettingsError(f"JWT_SECRET must be at least {MIN_JWT_SECRET_CHARS} characters")
    return secret


def _dev_secret(data_dir: Path) -> str:
    """A random secret kept in the data directory, so tokens survive a restart in development."""
    path = data_dir / "jwt_secret"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(secret)
    return secret


def _evaluation(environ: dict[str, str]) -> dict[str, Any]:
    """The evaluation pipeline's settings; the stuck bound must leave room for a redelivery."""
    values: dict[str, Any] = {
        "task_redelivery_secs": _number(
            environ, "TASK_REDELIVERY_SECS", DEFAULT_TASK_REDELIVERY_SECS, 1, 86400
        ),
        "evaluation_timeout_secs": _number(
            environ, "EVALUATION_TIMEOUT_SECS", DEFAULT_EVALUATION_TIMEOUT_SECS, 0.1, 3600
        ),
        "evaluation_max_attempts": int(
            _number(environ, "EVALUATION_MAX_ATTEMPTS", DEFAULT_EVALUATION_MAX_ATTEMPTS, 1, 10)
        ),
        "evaluation_backoff_secs": _number(
            environ, "EVALUATION_BACKOFF_SECS", DEFAULT_EVALUATION_BACKOFF_SECS, 0, 60
        ),
        "evaluation_requeue_secs": _number(
            environ, "EVALUATION_REQUEUE_SECS", DEFAULT_EVALUATION_REQUEUE_SECS, 1, 86400
        ),
        "evaluation_stuck_secs": _number(
            environ, "EVALUATION_STUCK_SECS", DEFAULT_EVALUATION_STUCK_SECS, 1, 7 * 86400
        ),
        "evaluation_watchdog_secs": _number(
            environ, "EVALUATION_WATCHDOG_SECS", DEFAULT_EVALUATION_WATCHDOG_SECS, 0.1, 3600
        ),
    }
    if values["evaluation_stuck_secs"] < values["task_redelivery_secs"]:
        raise SettingsError(
            "EVALUATION_STUCK_SECS must be at least TASK_REDELIVERY_SECS, so a job a dead worker "
            "left is redelivered before its evaluation is declared stuck"
        )
    return values


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Read and validate every setting; raises SettingsError naming the bad variable."""
    environ = dict(os.environ if environ is None else environ)
    env = _choice(environ, "ENV", ("development", "production", "test"), "development")
    data_dir = Path(_get(environ, "DATA_DIR") or ".data").resolve()
    origins = tuple(
        o.strip().rstrip("/") for o in (_get(environ, "ALLOWED_ORIGINS") or "").split(",")
    )
    return Settings(
        env=env,
        host=_get(environ, "HOST") or "127.0.0.1",
        port=_port(environ, "PORT", 8000),
        database_url=_url(environ, "DATABASE_URL", ("postgres", "postgresql")),
        redis_url=_url(environ, "REDIS_URL", ("redis", "rediss", "valkey", "unix")),
        data_dir=data_dir,
        jwt_secret=_jwt_secret(environ, env, data_dir),
        openai_api_key=_get(environ, "OPENAI_API_KEY"),
        openai_base_url=_url(environ, "OPENAI_BASE_URL", ("http", "https")),
        openai_model=_get(environ, "OPENAI_MODEL") or DEFAULT_OPENAI_MODEL,
        smtp_host=_get(environ, "SMTP_HOST"),
        smtp_port=_port(environ, "SMTP_PORT", 587),
        smtp_username=_get(environ, "SMTP_USERNAME"),
        smtp_password=_get(environ, "SMTP_PASSWORD"),
        smtp_from=_get(environ, "SMTP_FROM") or Settings.smtp_from,
        smtp_tls=_choice(environ, "SMTP_TLS", ("starttls", "ssl", "none"), "starttls"),
        google_client_id=_get(environ, "GOOGLE_CLIENT_ID"),
        google_jwks_url=_url(environ, "GOOGLE_JWKS_URL", ("http", "https"))
        or DEFAULT_GOOGLE_JWKS_URL,
        access_token_ttl_secs=int(
            _number(environ, "ACCESS_TOKEN_TTL_SECS", DEFAULT_ACCESS_TOKEN_TTL_SECS, 60, 86400)
        ),
        refresh_token_ttl_secs=int(
            _number(
                environ, "REFRESH_TOKEN_TTL_SECS", DEFAULT_REFRESH_TOKEN_TTL_SECS, 3600, 366 * 86400
            )
        ),
        auth_refresh_grace_secs=_number(
            environ, "AUTH_REFRESH_GRACE_SECS", DEFAULT_AUTH_REFRESH_GRACE_SECS, 0, 60
        ),
        allowed_origins=tuple(o for o in origins if o),
        public_url=(_url(environ, "PUBLIC_URL", ("http", "https")) or "").rstrip("/") or None,
        forwarded_allow_ips=_get(environ, "FORWARDED_ALLOW_IPS"),
        log_level=_choice(
            environ, "LOG_LEVEL", ("debug", "info", "warning", "error"), "info"
        ).upper(),
        clarify_matcher=_choice(
            environ, "CLARIFY_MATCHER", ("auto", "model", "semantic", "lexical"), "auto"
        ),
        clarify_model_timeout_secs=_number(
            environ, "CLARIFY_MODEL_TIMEOUT_SECS", DEFAULT_CLARIFY_MODEL_TIMEOUT_SECS, 0.1, 60
        ),
        **_evaluation(environ),
    )
