"""Passwords (argon2id), sessions and CSRF tokens.

A session is a row in ``review_sessions`` (so log-out and a disabled account end it at once);
the browser holds its id in a cookie signed with the session secret (itsdangerous), HttpOnly,
SameSite=Lax. Each session has its own CSRF token, which every POST must carry (form field
``csrf_token`` or header ``X-CSRF-Token``). The log-in form, before any session, carries a
signed, short-lived token bound to a random value in a cookie set with the form.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from review.store import ReviewStore, Role, Session, User

log = logging.getLogger(__name__)

_hasher = PasswordHasher()
# Verified against when the user does not exist, so that timing does not tell who exists.
_DUMMY_HASH = _hasher.hash("mailroom-no-such-user")
MIN_PASSWORD_LENGTH = 10
LOGIN_TOKEN_MAX_AGE_S = 3600


class WeakPassword(ValueError):
    """A password too short to be accepted."""


def hash_password(password: str, *, hasher: PasswordHasher | None = None) -> str:
    """An argon2id hash (the library's default cost unless ``hasher`` says otherwise; the
    cost is stored in the hash, so verifying follows it)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword(
            f"le mot de passe doit compter au moins {MIN_PASSWORD_LENGTH} caractères"
        )
    return (hasher or _hasher).hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def tokens_equal(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and hmac.compare_digest(str(a), str(b))


class Authenticator:
    """Checks passwords, opens and finds sessions, signs cookies and log-in tokens."""

    def __init__(
        self, store: ReviewStore, secret: str, *, max_age_s: int, rehash: bool = True
    ) -> None:
        self.store = store
        self.rehash = rehash  # upgrade hashes made with a weaker cost at the next log-in
        self.max_age_s = max_age_s
        self._cookies = URLSafeTimedSerializer(secret, salt="mailroom-review-session")
        self._login = URLSafeTimedSerializer(secret, salt="mailroom-review-login")

    def add_user(self, username: str, password: str, role: Role) -> User:
        return self.store.add_user(username, hash_password(password), role)

    def authenticate(self, username: str, password: str) -> User | None:
        """The active user with this name and password, else None."""
        user = self.store.get_user(username)
        if user is None:
            verify_password(_DUMMY_HASH, password)
            return None
        if not verify_password(user.password_hash, password) or not user.active:
            return None
        if self.rehash and _hasher.check_needs_rehash(user.password_hash):
            self.store.set_password_hash(username, _hasher.hash(password))
        return user

    def open_session(self, user: User) -> tuple[Session, str]:
        """A new session and the signed value of its cookie."""
        now = datetime.now(UTC)
        session = Session(
            session_id=secrets.token_urlsafe(32),
            username=user.username,
            csrf_token=secrets.token_urlsafe(32),
            created_at=now,
            expires_at=now + timedelta(seconds=self.max_age_s),
        )
        self.store.add_session(session)
        return session, self._cookies.dumps(session.session_id)

    def session_from_cookie(self, cookie: str | None) -> tuple[Session, User] | None:
        """The live session a cookie names, with its active user; None otherwise."""
        if not cookie:
            return None
        try:
            session_id = self._cookies.loads(cookie, max_age=self.max_age_s)
        except (BadSignature, SignatureExpired):
            return None
        session = self.store.get_session(str(session_id), now=datetime.now(UTC))
        if session is None:
            return None
        user = self.store.get_user(session.username)
        if user is None or not user.active:
            return None
        return session, user

    @staticmethod
    def login_nonce() -> str:
        """A random value for the log-in cookie, to which the form's token is bound."""
        return secrets.token_urlsafe(24)

    def login_token(self, nonce: str) -> str:
        """The log-in form's token: the nonce of the cookie set with the form, signed."""
        return self._login.dumps(nonce)

    def login_token_ok(self, token: str | None, nonce: str | None) -> bool:
        """The token was signed here, lately, for the nonce of this browser's log-in cookie:
        a token copied into a form elsewhere (log-in CSRF) comes without that cookie."""
        if not token or not nonce:
            return False
        try:
            signed = self._login.loads(token, max_age=LOGIN_TOKEN_MAX_AGE_S)
        except (BadSignature, SignatureExpired):
            return False
        return tokens_equal(str(signed), nonce)
