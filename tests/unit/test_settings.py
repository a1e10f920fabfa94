from __future__ import annotations

from pathlib import Path

import pytest

from server.settings import SettingsError, load_settings


def env(tmp_path: Path, **values: str) -> dict[str, str]:
    return {"DATA_DIR": str(tmp_path), **values}


def test_defaults_serve_on_localhost_8000(tmp_path: Path) -> None:
    settings = load_settings(env(tmp_path))
    assert (settings.host, settings.port) == ("127.0.0.1", 8000)
    assert settings.database_url is None and settings.redis_url is None
    assert settings.data_dir == tmp_path.resolve()


def test_dev_jwt_secret_is_generated_once_and_kept(tmp_path: Path) -> None:
    first = load_settings(env(tmp_path)).jwt_secret
    second = load_settings(env(tmp_path)).jwt_secret
    assert first == second and len(first) >= 32
    assert (tmp_path / "jwt_secret").stat().st_mode & 0o077 == 0


@pytest.mark.parametrize(
    ("values", "names"),
    [
        ({"PORT": "http"}, "PORT"),
        ({"PORT": "70000"}, "PORT"),
        ({"DATABASE_URL": "mysql://x"}, "DATABASE_URL"),
        ({"REDIS_URL": "http://x"}, "REDIS_URL"),
        ({"ENV": "production"}, "JWT_SECRET"),
        ({"JWT_SECRET": "short"}, "JWT_SECRET"),
        ({"SMTP_TLS": "maybe"}, "SMTP_TLS"),
        ({"OPENAI_BASE_URL": "ftp://x"}, "OPENAI_BASE_URL"),
        ({"ENV": "staging"}, "ENV"),
        ({"CLARIFY_MATCHER": "magic"}, "CLARIFY_MATCHER"),
        ({"CLARIFY_MODEL_TIMEOUT_SECS": "0"}, "CLARIFY_MODEL_TIMEOUT_SECS"),
    ],
)
def test_bad_values_name_the_variable(tmp_path: Path, values: dict[str, str], names: str) -> None:
    with pytest.raises(SettingsError, match=names):
        load_settings(env(tmp_path, **values))


def test_production_takes_the_given_secret_and_origins(tmp_path: Path) -> None:
    settings = load_settings(
        env(
            tmp_path,
            ENV="production",
            JWT_SECRET="x" * 40,
            ALLOWED_ORIGINS="https://rooms.example.com/, https://b.example.com",
        )
    )
    assert settings.production
    assert settings.allowed_origins == ("https://rooms.example.com", "https://b.example.com")
    assert "https://rooms.example.com" in settings.origins
    assert not (tmp_path / "jwt_secret").exists()


@pytest.mark.parametrize(
    ("values", "clarifier"),
    [
        ({}, "semantic"),
        ({"OPENAI_API_KEY": "sk-test"}, "model"),
        ({"OPENAI_API_KEY": "sk-test", "CLARIFY_MATCHER": "semantic"}, "semantic"),
        ({"CLARIFY_MATCHER": "lexical"}, "lexical"),
    ],
)
def test_the_clarifier_is_the_model_only_with_a_key(
    tmp_path: Path, values: dict[str, str], clarifier: str
) -> None:
    settings = load_settings({"DATA_DIR": str(tmp_path), **values})
    assert settings.clarifier == clarifier
    assert settings.clarifier_config().cache_dir == tmp_path.resolve() / "clarifier"
