"""Key files: a laptop's device key and the district server's log key, owner-only on disk.

A private key is a one-line file in the C2SP/Go note format (`PRIVATE+KEY+NAME+ID+KEY`),
created readable and writable by its owner only (0600), like the device token beside it. Two
server processes that start together on one key path make one key between them: the file is
created exclusively and the loser reads the winner's.
"""

from __future__ import annotations

import os
from pathlib import Path

from schema.errors import DomainError
from sync.audit.note import NoteError, Signer


def load_signer(path: Path) -> Signer:
    try:
        return Signer.parse(path.read_text())
    except OSError as err:
        raise DomainError(f"cannot read the key {path}: {err.strerror}") from None
    except NoteError as err:
        raise DomainError(f"{path} is not a SafeCity key: {err}") from None


def load_or_create(path: Path, name: str) -> Signer:
    """The key at `path`, made (named `name`) if there is none."""
    if path.exists():
        return load_signer(path)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    signer = Signer.generate(name)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return load_signer(path)
    with os.fdopen(fd, "w") as f:
        f.write(signer.text() + "\n")
        f.flush()
        os.fsync(f.fileno())
    return signer


def device_key_path(db_path: Path) -> Path:
    """Beside the laptop's database, like its token (`<db>.key`)."""
    return db_path.with_name(db_path.name + ".key")


def device_key_name(device_id: str) -> str:
    """A device key's name in its note lines (the device is named by its id)."""
    return f"device-{device_id}"


def head_text(device_id: str, seq: int, head: str) -> str:
    """The text a device signs for its chain head on each push (a signed note's body)."""
    return f"safecity.device/{device_id}\n{seq}\n{head}\n"
