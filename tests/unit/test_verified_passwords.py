"""Logins repeated with a password already checked skip the slow hash, and nothing else does."""

from __future__ import annotations

from unittest import mock

from werkzeug.security import generate_password_hash

from emulator.identity.domain.passwords import VerifiedPasswords
from emulator.identity.services import accounts


def test_remembers_only_the_password_checked_against_that_hash() -> None:
    verified = VerifiedPasswords()
    verified.remember("scrypt:4096:8:1$salt$digest", "right")
    assert verified.known("scrypt:4096:8:1$salt$digest", "right")
    assert not verified.known("scrypt:4096:8:1$salt$digest", "wrong")
    assert not verified.known("scrypt:4096:8:1$salt$digest", "right ")
    assert not verified.known("scrypt:4096:8:1$other-salt$digest", "right")  # a new password


def test_keeps_at_most_size_entries_dropping_the_least_recently_used() -> None:
    verified = VerifiedPasswords(size=2)
    verified.remember("h1", "p")
    verified.remember("h2", "p")
    assert verified.known("h1", "p")  # h1 is now the most recent
    verified.remember("h3", "p")
    assert verified.known("h1", "p") and verified.known("h3", "p")
    assert not verified.known("h2", "p")


def test_a_lone_surrogate_is_no_error() -> None:
    verified = VerifiedPasswords()
    verified.remember("h", "\udc80")
    assert verified.known("h", "\udc80") and not verified.known("h", "x")


def test_the_slow_hash_runs_once_per_right_password_and_every_time_for_a_wrong_one() -> None:
    stored = generate_password_hash("s3cret", method=accounts.PASSWORD_METHOD)
    real_check = accounts.check_password_hash
    with mock.patch.object(accounts, "check_password_hash", side_effect=real_check) as check:
        assert accounts.password_matches(stored, "s3cret")
        assert accounts.password_matches(stored, "s3cret")
        assert check.call_count == 1
        assert not accounts.password_matches(stored, "guess")
        assert not accounts.password_matches(stored, "guess")
        assert check.call_count == 3
