"""The canonical form events are hashed in (issue 18): the fast path is RFC 8785 exactly.

`schema.chain.canonical` writes plain values (texts, safe integers, ASCII keys) with orjson and
everything else with the `rfc8785` reference; the district server, every laptop and any
independent verifier must get the same bytes, so the fast path is checked against the
reference on whatever Hypothesis can think of, control characters and astral planes included.
"""

from __future__ import annotations

import hashlib

import pytest
import rfc8785
from hypothesis import given
from hypothesis import strategies as st

from schema.chain import SAFE_INTEGER, CanonicalError, canonical, event_hash, leaf_entry

texts = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
plain = st.recursive(
    st.none() | st.booleans() | st.integers(-SAFE_INTEGER, SAFE_INTEGER) | texts,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(st.characters(max_codepoint=127), max_size=6), inner, max_size=4)
    ),
    max_leaves=20,
)
anything = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=10,
)


@given(plain)
def test_the_fast_path_writes_exactly_what_rfc_8785_writes(value):
    assert canonical(value) == rfc8785.dumps(value)


@given(anything)
def test_any_value_is_written_as_rfc_8785_writes_it_or_refused_clearly(value):
    try:
        expected = rfc8785.dumps(value)
    except Exception:
        with pytest.raises(CanonicalError):
            canonical(value)
        return
    assert canonical(value) == expected


@given(st.text(max_size=70), st.sampled_from(["applied", "rejected", "conflict"]), st.none() | texts, st.none() | texts)
def test_a_leaf_is_the_canonical_form_of_the_event_and_the_verdict(event, status, reason, received):
    reference = {"event": event, "status": status, "reason": reason, "received": received}
    try:
        expected = rfc8785.dumps(reference)
    except Exception:
        with pytest.raises(CanonicalError):
            leaf_entry(event, status, reason, received)
        return
    assert leaf_entry(event, status, reason, received) == expected


BODY = dict(
    op_id="op-1",
    device_id="dev-1",
    device_seq=7,
    hlc=2**62 + 5,
    actor="insp.xinhe",
    at="2026-11-29T08:00:00Z",
    table="hazard",
    row_id="h-1",
    action="update",
    fields={"description": "消防通道堵塞"},
    old={"description": "消防通道"},
    base_version=3,
    prev="0" * 64,
)


def test_an_event_hash_is_sha256_of_the_documented_body():
    """docs/audit.md: what an independent verifier recomputes, key by key."""
    body = {
        "v": 1,
        "id": "op-1",
        "device": "dev-1",
        "seq": 7,
        "hlc": str(2**62 + 5),
        "actor": "insp.xinhe",
        "at": "2026-11-29T08:00:00Z",
        "table": "hazard",
        "pk": "h-1",
        "action": "update",
        "fields": {"description": "消防通道堵塞"},
        "old": {"description": "消防通道"},
        "base": 3,
        "prev": "0" * 64,
    }
    assert event_hash(**BODY) == hashlib.sha256(rfc8785.dumps(body)).hexdigest()


@pytest.mark.parametrize(
    ("name", "value"),
    [("op_id", "op-2"), ("device_seq", 8), ("hlc", 2**62 + 6), ("actor", "office"), ("at", "2026-11-30T08:00:00Z"),
     ("fields", {"description": "无隐患"}), ("old", {}), ("base_version", 4), ("prev", "1" * 64), ("prev", None)],
)  # fmt: skip
def test_every_part_of_an_event_changes_its_hash(name, value):
    assert event_hash(**{**BODY, name: value}) != event_hash(**BODY)


def test_a_value_with_no_canonical_form_is_refused():
    for value in (2**53, float("nan"), {"x": float("inf")}):
        with pytest.raises(CanonicalError):
            canonical(value)


flat_values = st.none() | st.booleans() | st.integers() | st.floats() | texts
fields = st.dictionaries(st.text(max_size=5), flat_values, max_size=5)


@given(fields, fields, st.integers(0, 2**54), st.none() | st.text(max_size=3))
def test_the_usual_events_shortcut_hashes_exactly_what_the_reference_does(new, old, seq, prev):
    """`event_hash` writes flat events itself; whatever the values, its hash is the one of the
    RFC 8785 body, or it refuses as the reference does."""
    from schema.chain import event_body

    body = {**BODY, "fields": new, "old": old, "device_seq": seq, "prev": prev}
    try:
        expected = hashlib.sha256(rfc8785.dumps(event_body(**body))).hexdigest()
    except Exception:
        with pytest.raises(CanonicalError):
            event_hash(**body)
        return
    assert event_hash(**body) == expected
