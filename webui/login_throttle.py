"""Failed logins slow down the next attempt: per client address and per account, with exponential backoff.

After `free` failures under one key, the next attempt must wait `first_wait`, and every further failure
doubles the wait up to `longest_wait`. A key's record is forgotten once it has been quiet for
`longest_wait` after its wait ran out, so a tired typist or an office behind one address recovers alone.
Refused attempts do not add failures: nobody can push someone else's wait ever higher by hammering.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class ThrottlePolicy:
    free: int
    first_wait: timedelta = timedelta(seconds=2)
    longest_wait: timedelta = timedelta(minutes=15)


ACCOUNT_POLICY = ThrottlePolicy(free=5)
ADDRESS_POLICY = ThrottlePolicy(free=20)  # many people may share one address (an office, a VPN)
MAX_KEYS = 50_000  # beyond this the oldest records are dropped, so memory stays bounded


@dataclass
class _Record:
    failures: int
    last_failure: datetime


class LoginThrottle:
    """In-process and per app: each `relaydesk serve` keeps its own counts (they start over on restart)."""

    def __init__(self, account: ThrottlePolicy = ACCOUNT_POLICY, address: ThrottlePolicy = ADDRESS_POLICY):
        self._policies = {"account": account, "address": address}
        self._records: OrderedDict[tuple[str, str], _Record] = OrderedDict()

    def wait_before(self, account: str, address: str, now: datetime) -> int:
        """Seconds before an attempt for this account from this address is allowed; 0 when it is now."""
        waits = [self._wait(key, now) for key in self._keys(account, address)]
        return max(waits)

    def failed(self, account: str, address: str, now: datetime) -> None:
        for key in self._keys(account, address):
            record = self._records.pop(key, None)
            if record is None or self._forgotten(key, record, now):
                record = _Record(0, now)
            record.failures += 1
            record.last_failure = now
            self._records[key] = record
        while len(self._records) > MAX_KEYS:
            self._records.popitem(last=False)

    def succeeded(self, account: str) -> None:
        """The account's own count starts over; the address keeps its count (it may be guessing others)."""
        self._records.pop(("account", account), None)

    def _keys(self, account: str, address: str) -> list[tuple[str, str]]:
        return [("account", account), ("address", address)]

    def _wait(self, key: tuple[str, str], now: datetime) -> int:
        record = self._records.get(key)
        if record is None or self._forgotten(key, record, now):
            return 0
        remaining = (self._allowed_at(key[0], record) - now).total_seconds()
        return max(0, math.ceil(remaining))

    def _allowed_at(self, kind: str, record: _Record) -> datetime:
        policy = self._policies[kind]
        over = record.failures - policy.free
        if over < 0:
            return record.last_failure
        wait = min(policy.first_wait * (1 << min(over, 30)), policy.longest_wait)
        return record.last_failure + wait

    def _forgotten(self, key: tuple[str, str], record: _Record, now: datetime) -> bool:
        quiet_for = self._policies[key[0]].longest_wait
        return now - self._allowed_at(key[0], record) > quiet_for
