"""Signed tokens: one purpose each, a maximum age, key rotation."""
from __future__ import annotations

import time

import pytest
from itsdangerous.timed import TimestampSigner

from widget.tokens import TokenExpired, TokenInvalid, Tokens

AGES = {"form": 60, "confirm": 3600, "withdraw": 3600, "host-login": 60}


def test_round_trip_and_payload_is_opaque():
    tokens = Tokens(["k1"], AGES)
    token = tokens.dumps("confirm", "opaque-id")
    assert tokens.loads("confirm", token)[0] == "opaque-id"


def test_purpose_is_part_of_the_signature():
    tokens = Tokens(["k1"], AGES)
    withdraw = tokens.dumps("withdraw", "id")
    with pytest.raises(TokenInvalid):
        tokens.loads("confirm", withdraw)


@pytest.mark.parametrize("bad", ["", "abc", "a.b.c", "é" * 10, "x" * 5000])
def test_tampered_or_junk_tokens_are_invalid(bad):
    with pytest.raises(TokenInvalid):
        Tokens(["k1"], AGES).loads("confirm", bad)


def test_tampered_signature_is_invalid():
    tokens = Tokens(["k1"], AGES)
    token = tokens.dumps("confirm", "id")
    with pytest.raises(TokenInvalid):
        tokens.loads("confirm", tamper(token))


def test_expired_token_still_tells_its_payload(monkeypatch):
    tokens = Tokens(["k1"], AGES)
    token = tokens.dumps("confirm", "id")
    real = TimestampSigner.get_timestamp
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: real(self) + 3601)
    with pytest.raises(TokenExpired) as caught:
        tokens.loads("confirm", token)
    assert caught.value.payload == "id"


def test_key_rotation_newest_signs_all_verify():
    old = Tokens(["old"], AGES).dumps("confirm", "id")
    rotated = Tokens(["new", "old"], AGES)
    assert rotated.loads("confirm", old)[0] == "id"
    fresh = rotated.dumps("confirm", "id")
    assert Tokens(["new"], AGES).loads("confirm", fresh)[0] == "id"
    with pytest.raises(TokenInvalid):
        Tokens(["old"], AGES).loads("confirm", fresh)


def tamper(token: str) -> str:
    """Change the first character of the signature (the last base64 character may carry no bits)."""
    head, _, signature = token.rpartition(".")
    return f"{head}.{'B' if signature[0] == 'A' else 'A'}{signature[1:]}"


def test_a_token_dated_by_the_caller_is_the_same_in_every_process_and_still_checked():
    tokens = Tokens(["k"], {"form": 3600})
    at = int(time.time()) - 60
    assert tokens.dumps("form", {"s": "x"}, at=at) == Tokens(["k"], {"form": 3600}).dumps("form", {"s": "x"}, at=at)
    payload, issued_at = tokens.loads("form", tokens.dumps("form", {"s": "x"}, at=at))
    assert payload == {"s": "x"} and issued_at == at
    with pytest.raises(TokenExpired):
        tokens.loads("form", tokens.dumps("form", {"s": "x"}, at=at - 7200))
