"""The district log's tree and its signed checkpoints (issue 18): RFC 6962 hashes and proofs,
C2SP signed notes, against known answers and against a tree computed the slow way."""

from __future__ import annotations

import base64

import pytest

from sync.audit.merkle import EMPTY_ROOT, Tree, leaf_hash, node_hash, verify_consistency, verify_inclusion
from sync.audit.note import Checkpoint, NoteError, Signer, Verifier, add_signature, open_note

# The RFC 6962 test leaves of the certificate-transparency projects, and the root of all eight.
LEAVES = [
    bytes.fromhex(h)
    for h in ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"]
]
ROOT_OF_8 = "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"


def slow_root(entries: list[bytes]) -> bytes:
    """MTH exactly as RFC 6962 §2.1 defines it, recursively."""
    if not entries:
        return EMPTY_ROOT
    if len(entries) == 1:
        return leaf_hash(entries[0])
    k = 1 << ((len(entries) - 1).bit_length() - 1)
    return node_hash(slow_root(entries[:k]), slow_root(entries[k:]))


def test_the_known_root_of_the_rfc_6962_test_leaves():
    tree = Tree(leaf_hash(e) for e in LEAVES)
    assert tree.root().hex() == ROOT_OF_8
    assert tree.root(1).hex() == "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"


def test_every_root_inclusion_and_consistency_proof_of_small_trees_checks():
    entries = [f"event {n}".encode() for n in range(70)]
    tree = Tree(leaf_hash(e) for e in entries)
    for size in range(0, 70):
        assert tree.root(size) == slow_root(entries[:size])
    for size in range(1, 40):
        root = tree.root(size)
        for index in range(size):
            path = tree.inclusion(index, size)
            assert verify_inclusion(index, size, leaf_hash(entries[index]), path, root)
            assert not verify_inclusion(index, size, leaf_hash(b"forged"), path, root)
            if path:
                bent = [path[0][:-1] + bytes([path[0][-1] ^ 1]), *path[1:]]
                assert not verify_inclusion(index, size, leaf_hash(entries[index]), bent, root)
        for old in range(0, size + 1):
            proof = tree.consistency(old, size)
            assert verify_consistency(old, size, tree.root(old), root, proof), (old, size)
            if 0 < old < size:
                assert not verify_consistency(old, size, slow_root([b"rewritten", *entries[1:old]]), root, proof)


def test_a_signed_checkpoint_verifies_and_fails_when_one_byte_changes():
    district = Signer.generate("district.binhai.example")
    office = Signer.generate("office.binhai.example")
    tree = Tree(leaf_hash(e) for e in LEAVES)
    note = district.sign(Checkpoint("district.binhai.example/log", tree.size, tree.root()).text())
    cosigned = add_signature(note, office)
    text, signed = open_note(cosigned, [Verifier.parse(district.verifier.text()), office.verifier])
    assert signed == ["district.binhai.example", "office.binhai.example"]
    assert Checkpoint.parse(text) == Checkpoint("district.binhai.example/log", 8, tree.root())
    tampered = cosigned.replace("\n8\n", "\n9\n")
    with pytest.raises(NoteError, match="does not verify"):
        open_note(tampered, [district.verifier])
    with pytest.raises(NoteError, match="not signed by"):
        open_note(note, [Signer.generate("someone.else").verifier])
    assert Signer.parse(district.text()) == district


def test_the_go_sumdb_note_example_checks_here():
    """The example of golang.org/x/mod/sumdb/note: a note signed by Go's code checks with this."""
    verifier = Verifier.parse("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")
    note = (
        "If you think cryptography is the answer to your problem,\n"
        "then you don't know what your problem is.\n"
        "\n"
        "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
    )
    assert open_note(note, [verifier])[1] == ["PeterNeumann"]
    signer = Signer.parse("PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz")
    text = note.split("\n\n")[0] + "\n"
    assert signer.sign(text) == note
    assert base64.b64decode("ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")[1:] == signer.verifier.public
