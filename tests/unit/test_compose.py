"""compose.yaml and the Dockerfile say what mailroom understands.

No Docker engine runs here, so the file is checked against the code instead: every
``MAILROOM_*`` variable it sets is a real setting (settings ignore unknown variables, so a
misspelt one would be lost silently), the settings it gives load and select the production
back-ends, every mailroom command it runs parses, and every variable it needs has a line in
``.env.example``.
"""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel

from mailroom.cli import build_parser
from mailroom.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
_SUBSTITUTION = re.compile(r"\$\{(\w+)(?::?[-?][^}]*)?\}")


def _compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))


def _mailroom_services() -> dict[str, dict[str, Any]]:
    services = _compose()["services"]
    return {name: s for name, s in services.items() if s.get("image") == "mailroom:latest"}


def _setting_names(model: type[BaseModel], prefix: str = "MAILROOM_") -> set[str]:
    names: set[str] = set()
    for name, field in model.model_fields.items():
        key = f"{prefix}{name.upper()}"
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            names |= _setting_names(annotation, key + "__")
        else:
            names.add(key)
    return names


def _env_example() -> dict[str, str]:
    pairs = {}
    for line in (ROOT / ".env.example").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            pairs[name.strip()] = value.strip()
    return pairs


def _resolve(value: str, env: dict[str, str]) -> str:
    def one(match: re.Match[str]) -> str:
        return env.get(match.group(1), "")

    return _SUBSTITUTION.sub(one, value)


def test_the_mailroom_services_are_the_workers_the_watchers_and_the_review_app() -> None:
    services = _mailroom_services()
    commands = {name: s["command"][0] for name, s in services.items()}
    assert {"worker", "watch", "review"} <= set(commands.values())
    queues = {
        q
        for s in services.values()
        if s["command"][0] == "worker"
        for q in s["command"][s["command"].index("--queues") + 1].split(",")
    }
    assert queues == {"mail", "ocr", "default"}


@pytest.mark.parametrize("service", sorted(_mailroom_services()))
def test_every_mailroom_variable_is_a_real_setting(service: str) -> None:
    known = _setting_names(Settings)
    env = _mailroom_services()[service].get("environment", {})
    unknown = sorted(k for k in env if k.startswith("MAILROOM_") and k not in known)
    assert not unknown, f"{service} sets variables no setting reads: {unknown}"


@pytest.mark.parametrize("service", sorted(_mailroom_services()))
def test_every_command_parses_and_the_settings_select_the_production_backends(
    service: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    spec = _mailroom_services()[service]
    build_parser().parse_args([str(part) for part in spec["command"]])
    example = _env_example()
    monkeypatch.chdir(tmp_path)  # no stray .env of the developer's
    for name in list(os.environ):
        if name.startswith("MAILROOM_"):
            monkeypatch.delenv(name)
    for name, value in spec["environment"].items():
        monkeypatch.setenv(name, _resolve(str(value), example))
    settings = Settings()
    assert settings.storage.object_backend == "s3"
    assert settings.storage.metadata_backend == "postgresql"
    assert _secret(settings.queue.broker_url) == "redis://redis:6379/0"
    assert settings.storage.s3_endpoint == "minio:9000"
    assert _secret(settings.storage.database_url).startswith(
        "postgresql+psycopg://mailroom:change-me-postgres@postgres:5432/"
    )
    if service == "review":
        assert _secret(settings.review.session_secret) == example["MAILROOM_REVIEW__SESSION_SECRET"]


def _secret(value: Any) -> str:
    assert value is not None
    return str(value.get_secret_value() if hasattr(value, "get_secret_value") else value)


def test_every_variable_compose_needs_is_in_env_example() -> None:
    text = (ROOT / "compose.yaml").read_text(encoding="utf-8")
    required = set(re.findall(r"\$\{(\w+):\?", text))
    mentioned = set(_SUBSTITUTION.findall(text))
    example = _env_example()
    assert required and required <= set(example), required - set(example)
    assert mentioned <= set(example), mentioned - set(example)


def test_the_image_copies_every_package_the_project_installs() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    copied = {
        shlex.split(line)[1].rstrip("/")
        for line in dockerfile.splitlines()
        if line.startswith("COPY ")
    }
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    packages = re.search(r'include = \[([^\]]*)\]', pyproject)
    assert packages is not None
    for package in re.findall(r'"(\w+)\*"', packages.group(1)):
        assert package in copied, f"the image lacks {package}/"
