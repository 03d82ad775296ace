"""Operators' passwords are stored with argon2id at full cost (the other tests hash cheaply)."""

from __future__ import annotations

import argon2
import pytest

import webui.auth
from webui.auth import hash_password, verify_password


def test_a_password_is_stored_with_argon2id_at_the_rfc_9106_cost(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(webui.auth, "PasswordHasher", argon2.PasswordHasher)  # undo the tests' cheap one
    stored = hash_password("correct horse battery staple")
    parameters = argon2.extract_parameters(stored)
    strong = argon2.profiles.RFC_9106_LOW_MEMORY
    assert parameters.type is argon2.Type.ID
    assert parameters.memory_cost >= strong.memory_cost  # 64 MiB
    assert parameters.time_cost >= strong.time_cost
    assert "correct horse battery staple" not in stored
    assert verify_password(stored, "correct horse battery staple")
    assert not verify_password(stored, "correct horse battery stapler")

