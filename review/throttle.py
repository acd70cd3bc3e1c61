"""Log-in throttling, per account and per client address.

Each failed log-in counts against the account's name and against the address it came from.
Past a few free tries, every failure makes the next try wait longer (1 s, 2 s, 4 s, ... up to
``max_delay_s``); past ``lock_after`` failures the account (or address) is locked for
``lock_s``. A try made before its time is refused without the password being looked at (and
counts as a failure: hammering only brings the lock nearer), so a guesser cannot go faster
than the delays, and the right password is refused as well while an account is locked. A
success forgets the account's failures (not the address's: one good account must not clear
the way for guessing the others). Failures are forgotten ``forget_after_s`` after the last.

The counts are kept in memory: ``mailroom review`` is one process, and a restart giving an
attacker a fresh start every few minutes would be visible in the log (failures and locks are
logged at WARNING by the caller).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

MAX_TRACKED = 50_000  # names or addresses tracked at once before the oldest are dropped


@dataclass(frozen=True)
class Policy:
    free_tries: int  # failures that cost nothing
    lock_after: int  # failures that lock
    lock_s: float
    max_delay_s: float = 60.0

    def delay_after(self, failures: int) -> float:
        """Seconds before the next try is allowed after ``failures`` failures in a row."""
        if failures >= self.lock_after:
            return self.lock_s
        if failures <= self.free_tries:
            return 0.0
        return float(min(self.max_delay_s, 2 ** (failures - self.free_tries - 1)))


@dataclass
class _Count:
    failures: int = 0
    last_at: float = 0.0
    not_before: float = 0.0


@dataclass(frozen=True)
class Refusal:
    """Why a try is refused now, in French, and for how long."""

    wait_s: float
    locked: bool
    what: str  # "account" or "address"

    @property
    def message(self) -> str:
        wait = _french_duration(self.wait_s)
        if self.locked:
            return (
                "Trop d'échecs de connexion : accès verrouillé temporairement. "
                f"Réessayez dans {wait}."
            )
        return f"Trop d'essais de connexion : patientez {wait} avant de réessayer."


class LoginThrottle:
    """Counts failed log-ins per account name and per client address; thread-safe."""

    def __init__(
        self,
        account: Policy,
        address: Policy,
        *,
        forget_after_s: float = 3600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.account = account
        self.address = address
        self.forget_after_s = forget_after_s
        self.clock = clock
        self._lock = threading.Lock()
        self._counts: dict[tuple[str, str], _Count] = {}

    def refusal(self, username: str, address: str) -> Refusal | None:
        """Why a log-in for ``username`` from ``address`` may not be tried now, if so."""
        now = self.clock()
        with self._lock:
            found: Refusal | None = None
            for key, policy in self._keys(username, address):
                count = self._live(key, now)
                if count is None or count.not_before <= now:
                    continue
                refusal = Refusal(
                    wait_s=count.not_before - now,
                    locked=count.failures >= policy.lock_after,
                    what=key[0],
                )
                if found is None or refusal.wait_s > found.wait_s:
                    found = refusal
            return found

    def failed(self, username: str, address: str) -> list[Refusal]:
        """Count a failure; returns the locks it has just set (to be logged)."""
        now = self.clock()
        locks: list[Refusal] = []
        with self._lock:
            if len(self._counts) >= MAX_TRACKED:
                self._prune(now)
            for key, policy in self._keys(username, address):
                count = self._live(key, now) or self._counts.setdefault(key, _Count())
                count.failures += 1
                count.last_at = now
                delay = policy.delay_after(count.failures)
                count.not_before = now + delay
                if count.failures == policy.lock_after:
                    locks.append(Refusal(wait_s=delay, locked=True, what=key[0]))
        return locks

    def succeeded(self, username: str) -> None:
        with self._lock:
            self._counts.pop(("account", _account_key(username)), None)

    def failures(self, username: str) -> int:
        with self._lock:
            count = self._live(("account", _account_key(username)), self.clock())
            return count.failures if count else 0

    def _keys(self, username: str, address: str) -> list[tuple[tuple[str, str], Policy]]:
        return [
            (("account", _account_key(username)), self.account),
            (("address", address), self.address),
        ]

    def _live(self, key: tuple[str, str], now: float) -> _Count | None:
        count = self._counts.get(key)
        if count is None:
            return None
        if now - count.last_at > self.forget_after_s and now >= count.not_before:
            del self._counts[key]
            return None
        return count

    def _prune(self, now: float) -> None:
        for key in list(self._counts):
            self._live(key, now)
        if len(self._counts) >= MAX_TRACKED:  # still full: drop the oldest half
            oldest = sorted(self._counts, key=lambda k: self._counts[k].last_at)
            for key in oldest[: len(oldest) // 2]:
                del self._counts[key]


def _account_key(username: str) -> str:
    return " ".join(username.split()).casefold()


def _french_duration(seconds: float) -> str:
    s = max(1, math.ceil(seconds))
    if s < 60:
        return f"{s} seconde{'s' if s > 1 else ''}"
    m = math.ceil(s / 60)
    return f"{m} minute{'s' if m > 1 else ''}"
