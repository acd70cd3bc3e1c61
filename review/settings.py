"""The review application's settings, from ``MAILROOM_REVIEW__*`` until ``Settings`` nests them.

Example: ``MAILROOM_REVIEW__PORT=8080``, ``MAILROOM_REVIEW__SESSION_SECRET=...``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

if TYPE_CHECKING:  # mailroom.settings will import this module to nest ReviewSettings
    from mailroom.settings import Settings


class ReviewSettings(BaseModel):
    host: str = Field(default="127.0.0.1", description="Address the review server listens on.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port of the review server.")
    session_secret: SecretStr | None = Field(
        default=None,
        description=(
            "Key signing the session and log-in cookies; when unset a random one is drawn at "
            "start (sessions then end when the server restarts)."
        ),
    )
    session_max_age_s: int = Field(
        default=8 * 3600, ge=60, description="A session ends this many seconds after log-in."
    )
    secure_cookies: bool = Field(
        default=False, description="Send cookies only over HTTPS (set behind a TLS proxy)."
    )


class _ReviewSettingsFromEnv(BaseSettings, ReviewSettings):
    model_config = SettingsConfigDict(
        env_prefix="MAILROOM_REVIEW__", env_nested_delimiter="__", env_file=".env", extra="ignore"
    )


def review_settings(settings: Settings | None = None) -> ReviewSettings:
    """``settings.review`` once Settings nests it; until then, from ``MAILROOM_REVIEW__*``."""
    nested = getattr(settings, "review", None)
    if isinstance(nested, ReviewSettings):
        return nested
    return ReviewSettings.model_validate(_ReviewSettingsFromEnv().model_dump())
