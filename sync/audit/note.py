"""Signed notes (C2SP signed-note) and checkpoints (C2SP tlog-checkpoint), with Ed25519 keys.

A note is UTF-8 text ending in a newline, a blank line, then one line per signature:
`— <key name> <base64(4-byte key id || 64-byte Ed25519 signature)>`. The key id is the first 4
bytes of SHA-256(name || "\\n" || 0x01 || public key). Keys are written as Go's sumdb/note writes
them: a verifier key `<name>+<key id hex>+<base64(0x01 || public key)>`, a signer key
`PRIVATE+KEY+<name>+<key id hex>+<base64(0x01 || seed)>`; so a note SafeCity signs checks with
the Go tools, and theirs with this. A checkpoint's text is `<origin>\\n<tree size>\\n<base64(root)>\\n`.

Who calls this: the district server (signing checkpoints), laptops and `safecity audit`
(checking them). The keys are made with `cryptography`; nothing here is a primitive of our own.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from schema.errors import DomainError

ED25519 = 0x01
DASH = "\u2014 "


class NoteError(DomainError):
    """A note, key or checkpoint that is malformed or does not verify; the message says which."""


def b64decode(text: str) -> bytes:
    """Base64 in its one canonical spelling: ValueError for anything else (padding bits that are
    not zero would let a signed text change without changing what it decodes to)."""
    raw = base64.b64decode(text, validate=True)
    if base64.b64encode(raw).decode() != text:
        raise ValueError("not canonical base64")
    return raw


def key_id(name: str, public: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + bytes([ED25519]) + public).digest()[:4]


def _valid_name(name: str) -> bool:
    return bool(name) and "+" not in name and not any(c.isspace() for c in name)


@dataclass(frozen=True)
class Verifier:
    name: str
    public: bytes

    @property
    def id(self) -> bytes:
        return key_id(self.name, self.public)

    def text(self) -> str:
        return f"{self.name}+{self.id.hex()}+{base64.b64encode(bytes([ED25519]) + self.public).decode()}"

    @classmethod
    def parse(cls, text: str) -> Verifier:
        parts = text.strip().split("+", 2)  # base64 has '+' of its own
        if len(parts) != 3 or not _valid_name(parts[0]):
            raise NoteError("a verifier key is written NAME+KEYID+BASE64KEY")
        try:
            raw = b64decode(parts[2])
        except ValueError:
            raise NoteError("the verifier key's last part is not base64") from None
        if len(raw) != 33 or raw[0] != ED25519:
            raise NoteError("the verifier key is not an Ed25519 key")
        verifier = cls(parts[0], raw[1:])
        if verifier.id.hex() != parts[1].lower():
            raise NoteError("the verifier key's id does not match its name and key")
        return verifier

    def check(self, message: bytes, signature: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.public).verify(signature, message)
        except InvalidSignature:
            return False
        return True


@dataclass(frozen=True)
class Signer:
    name: str
    seed: bytes

    @classmethod
    def generate(cls, name: str) -> Signer:
        if not _valid_name(name):
            raise NoteError("a key name has no spaces and no '+'")
        from cryptography.hazmat.primitives.serialization import NoEncryption, PrivateFormat

        raw = Ed25519PrivateKey.generate().private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        return cls(name, raw)

    @property
    def verifier(self) -> Verifier:
        public = Ed25519PrivateKey.from_private_bytes(self.seed).public_key()
        return Verifier(self.name, public.public_bytes(Encoding.Raw, PublicFormat.Raw))

    def text(self) -> str:
        return f"PRIVATE+KEY+{self.name}+{self.verifier.id.hex()}+{base64.b64encode(bytes([ED25519]) + self.seed).decode()}"

    @classmethod
    def parse(cls, text: str) -> Signer:
        parts = text.strip().split("+", 4)
        if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"] or not _valid_name(parts[2]):
            raise NoteError("a signer key is written PRIVATE+KEY+NAME+KEYID+BASE64KEY")
        try:
            raw = b64decode(parts[4])
        except ValueError:
            raise NoteError("the signer key's last part is not base64") from None
        if len(raw) != 33 or raw[0] != ED25519:
            raise NoteError("the signer key is not an Ed25519 key")
        signer = cls(parts[2], raw[1:])
        if signer.verifier.id.hex() != parts[3].lower():
            raise NoteError("the signer key's id does not match its name and key")
        return signer

    def sign(self, text: str) -> str:
        """`text` (ending in a newline) as a note signed by this key."""
        if not text.endswith("\n") or "\n\n" in text:
            raise NoteError("a note's text ends in a newline and has no blank line")
        return text + "\n" + self.signature_line(text)

    def signature_line(self, text: str) -> str:
        signature = Ed25519PrivateKey.from_private_bytes(self.seed).sign(text.encode())
        return f"{DASH}{self.name} {base64.b64encode(self.verifier.id + signature).decode()}\n"


def add_signature(note: str, signer: Signer) -> str:
    """Another signature on a signed note (a co-signature: the office's second key)."""
    text, _signatures = split(note)
    return note + signer.signature_line(text)


def split(note: str) -> tuple[str, list[str]]:
    """(the text, its signature lines) of a signed note."""
    text, blank, signatures = note.rpartition("\n\n")
    if not blank or not text or not signatures.endswith("\n"):
        raise NoteError("a signed note is its text, a blank line, then its signature lines")
    return text + "\n", signatures[:-1].split("\n")


def open_note(note: str, verifiers: list[Verifier]) -> tuple[str, list[str]]:
    """The note's text and the names of the given keys that signed it; NoteError when a line
    that claims one of those keys does not verify, or when none of them signed."""
    text, lines = split(note)
    known = {(v.name, v.id): v for v in verifiers}
    signed: list[str] = []
    for line in lines:
        if not line.startswith(DASH):
            raise NoteError("a signature line starts with an em dash and a space")
        name, _, encoded = line[len(DASH) :].partition(" ")
        try:
            raw = b64decode(encoded)
        except ValueError:
            raise NoteError(f"the signature by {name} is not base64") from None
        verifier = known.get((name, raw[:4]))
        if verifier is None:
            continue  # a key we were not asked about: not ours to judge
        if len(raw) != 68 or not verifier.check(text.encode(), raw[4:]):
            raise NoteError(f"the signature by {name} does not verify: the note was changed or forged")
        signed.append(name)
    if not signed:
        raise NoteError(f"the note is not signed by {', '.join(v.name for v in verifiers) or 'any given key'}")
    return text, signed


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes

    def text(self) -> str:
        return f"{self.origin}\n{self.size}\n{base64.b64encode(self.root).decode()}\n"

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        lines = text.split("\n")
        if len(lines) < 4 or not lines[0] or not lines[1].isdigit():
            raise NoteError("a checkpoint is its origin, its tree size and its root hash, a line each")
        try:
            root = b64decode(lines[2])
        except ValueError:
            raise NoteError("the checkpoint's root hash is not base64") from None
        if len(root) != 32:
            raise NoteError("the checkpoint's root is not a SHA-256")
        return cls(lines[0], int(lines[1]), root)
