"""The review application's settings (``MAILROOM_REVIEW__*``), nested in ``Settings.review``.

Example: ``MAILROOM_REVIEW__PORT=8080``, ``MAILROOM_REVIEW__SESSION_SECRET=...``.
"""

from __future__ import annotations

from pydantic import BaseModel, Field, SecretStr


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
    login_free_tries: int = Field(
        default=3,
        ge=1,
        description=(
            "Failed log-ins an account may have before each further failure makes the next "
            "try wait (1 s, 2 s, 4 s...)."
        ),
    )
    login_lock_after: int = Field(
        default=10, ge=2, description="Failed log-ins in a row that lock an account for a while."
    )
    address_free_tries: int = Field(
        default=10,
        ge=1,
        description="Failed log-ins from one client address before its tries are slowed down.",
    )
    address_lock_after: int = Field(
        default=30, ge=2, description="Failed log-ins from one client address that lock it."
    )
    login_lock_s: int = Field(
        default=900, ge=1, description="How long a locked account or address stays locked."
    )
