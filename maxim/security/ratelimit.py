"""A small in-process sliding-window rate limiter for login and token creation.

In-process is enough for one `maxim serve`; behind several workers each counts on its own,
which only makes the limit per worker (still bounded).
"""

from __future__ import annotations

import threading
from collections import defaultdict, deque
from datetime import datetime, timedelta

#: Past this many keys the limiter forgets those with no attempt left in the window, so a
#: flood of made-up usernames or addresses cannot grow it without bound.
SWEEP_AFTER = 10_000


class RateLimiter:
    def __init__(self, limit: int, window: timedelta) -> None:
        self.limit = limit
        self.window = window
        self._hits: defaultdict[str, deque[datetime]] = defaultdict(deque)
        self._lock = threading.Lock()

    def allow(self, key: str, now: datetime) -> bool:
        """Count one attempt for `key`; False when it is over the limit in the window."""
        with self._lock:
            if len(self._hits) > SWEEP_AFTER:
                self._sweep(now)
            hits = self._hits[key]
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                return False
            hits.append(now)
            return True

    def _sweep(self, now: datetime) -> None:
        stale = [key for key, hits in self._hits.items() if not hits or hits[-1] <= now - self.window]
        for key in stale:
            del self._hits[key]


class LoginLimiter:
    """Logins are limited per client address AND per account: a guess spread over many
    addresses at one account is slowed too, before each attempt costs an argon2 hash."""

    def __init__(
        self,
        per_client: int = 10,
        per_account: int = 10,
        client_window: timedelta = timedelta(minutes=1),
        account_window: timedelta = timedelta(minutes=15),
    ) -> None:
        self.clients = RateLimiter(per_client, client_window)
        self.accounts = RateLimiter(per_account, account_window)

    def allow(self, client: str, username: str, now: datetime) -> bool:
        """Count one login attempt; False when the client or the account is over its limit."""
        client_ok = self.clients.allow(client, now)
        # A refused client does not spend the account's allowance; usernames are compared as typed
        # by a person (case and surrounding spaces do not make a new account to guess at).
        return client_ok and self.accounts.allow(username.strip().lower(), now)
