"""Passwords (argon2id via argon2-cffi), session tokens and the login rate limiter."""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

SESSION_COOKIE = "ictal_session"
CSRF_COOKIE = "ictal_csrf"
CSRF_HEADER = "X-CSRF-Token"


#: argon2-cffi's defaults: the RFC 9106 low-memory profile (t=3, m=64 MiB, p=4).
ARGON2_TIME_COST = 3
ARGON2_MEMORY_KIB = 65536


def make_hasher(time_cost: int = ARGON2_TIME_COST,
                memory_kib: int = ARGON2_MEMORY_KIB) -> PasswordHasher:
    """argon2id; by default RFC 9106's low-memory profile. Stored hashes carry their own
    parameters, so changing them later only rehashes each password at its next login."""
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib)


def hash_password(hasher: PasswordHasher, password: str) -> str:
    return hasher.hash(password)


def verify_password(hasher: PasswordHasher, stored_hash: str, password: str) -> bool:
    try:
        return hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def new_token() -> str:
    """A URL-safe random token with 256 bits of entropy."""
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """SHA-256 hex of a session token: the database never holds a usable token."""
    return hashlib.sha256(token.encode()).hexdigest()


def random_password() -> str:
    """A random password for the first admin (printed once)."""
    return secrets.token_urlsafe(18)


class LoginRateLimiter:
    """At most ``max_failures`` failed logins per (username, client IP) in ``window_s`` seconds.

    Kept in memory by the app (one per :func:`create_app`); a restart clears it. Thread-safe.
    """

    def __init__(self, max_failures: int, window_s: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.max_failures = max_failures
        self.window_s = window_s
        self._clock = clock
        self._failures: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: tuple[str, str], now: float) -> deque[float]:
        times = self._failures.setdefault(key, deque())
        while times and now - times[0] >= self.window_s:
            times.popleft()
        return times

    def retry_after(self, username: str, ip: str) -> float:
        """Seconds until the next attempt is allowed; ``0`` when allowed now."""
        key = (username.lower(), ip)
        with self._lock:
            now = self._clock()
            times = self._recent(key, now)
            if len(times) < self.max_failures:
                if not times:
                    self._failures.pop(key, None)
                return 0.0
            return max(0.0, self.window_s - (now - times[0]))

    def record_failure(self, username: str, ip: str) -> None:
        key = (username.lower(), ip)
        with self._lock:
            now = self._clock()
            self._recent(key, now).append(now)

    def reset(self, username: str, ip: str) -> None:
        with self._lock:
            self._failures.pop((username.lower(), ip), None)
