"""Users, their roles and areas, and the device tokens that authenticate every request.

Who calls this: the admin commands (`safecity admin user ...`, `token ...`) and the server,
which authenticates each push and pull with `authenticate`. A token is 32 random bytes shown
once; the server keeps only its SHA-256, so a copy of the database does not leak working
tokens. Revoking a token takes effect on the next request.

Scope: an inspector sees and changes only rows of the areas granted (town/zone codes);
supervisors and admins have the whole district (`areas` is None for them).
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from typing import Any

from schema.errors import DomainError, NotFound
from schema.ids import uuid7
from schema.writes import utc_now
from sync.audit.keys import device_key_name
from sync.audit.note import NoteError, Verifier
from sync.server.backends.base import ServerDb

ROLES = ("inspector", "supervisor", "admin")
DISTRICT = "binhai"


@dataclass(frozen=True)
class DeviceAuth:
    """Who a request comes from, as the server knows it."""

    device_id: str
    login: str
    role: str
    areas: tuple[str, ...] | None
    """The areas the device may see and change; None means the whole district."""

    @property
    def is_office(self) -> bool:
        return self.role in ("supervisor", "admin")

    def may_see(self, area: str | None) -> bool:
        return area is None or self.areas is None or area in self.areas

    def scope_key(self) -> str:
        """A short fingerprint of the scope: when it changes, the laptop must re-snapshot."""
        text = "*" if self.areas is None else ",".join(sorted(self.areas))
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _check_areas(db: ServerDb, role: str, areas: list[str]) -> list[str]:
    if role not in ROLES:
        raise DomainError(f"role must be one of {', '.join(ROLES)}; got {role!r}")
    for code in areas:
        row = db.one("SELECT level FROM area WHERE code = ?", (code,))
        if row is None:
            raise NotFound(f"no area with code {code!r} (seed the district first?)")
        if row["level"] not in ("town", "district"):
            raise DomainError(f"grant towns or zones, not a {row['level']}: {code!r}")
    if role == "inspector" and not areas:
        raise DomainError("an inspector needs at least one --area")
    return sorted(set(areas))


def add_user(db: ServerDb, login: str, role: str, areas: list[str]) -> dict[str, Any]:
    """Create a user and a first device token; returns {login, role, areas, device_id, token}."""
    if not login or not login.strip() or len(login) > 64:
        raise DomainError("a login is 1 to 64 characters")
    with db.transaction():
        areas = _check_areas(db, role, areas)
        if db.one("SELECT 1 AS x FROM account WHERE login = ?", (login,)):
            raise DomainError(f"user {login!r} already exists; use 'token add {login}' for another device")
        db.execute(
            "INSERT INTO account (login, role, areas, created_at) VALUES (?, ?, ?, ?)",
            (login, role, json.dumps(areas), utc_now()),
        )
        device = add_token(db, login)
    return {"login": login, "role": role, "areas": areas, **device}


def add_token(db: ServerDb, login: str) -> dict[str, str]:
    """A new device token for an existing user (one per laptop)."""
    with db.transaction():
        if not db.one("SELECT 1 AS x FROM account WHERE login = ?", (login,)):
            raise NotFound(f"no user {login!r}")
        token = secrets.token_urlsafe(32)
        device_id = uuid7()
        db.execute(
            "INSERT INTO device (id, login, token_hash, created_at) VALUES (?, ?, ?, ?)",
            (device_id, login, hash_token(token), utc_now()),
        )
    return {"device_id": device_id, "token": token}


def revoke(db: ServerDb, login: str) -> int:
    """Revoke every live token of a user; returns how many were revoked."""
    with db.transaction():
        if not db.one("SELECT 1 AS x FROM account WHERE login = ?", (login,)):
            raise NotFound(f"no user {login!r}")
        return db.execute("UPDATE device SET revoked_at = ? WHERE login = ? AND revoked_at IS NULL", (utc_now(), login))


def set_areas(db: ServerDb, login: str, areas: list[str]) -> list[str]:
    """Move a user to other areas; their laptops re-snapshot on the next pull."""
    with db.transaction():
        user = db.one("SELECT role FROM account WHERE login = ?", (login,))
        if user is None:
            raise NotFound(f"no user {login!r}")
        areas = _check_areas(db, user["role"], areas)
        db.execute("UPDATE account SET areas = ? WHERE login = ?", (json.dumps(areas), login))
    return areas


def list_users(db: ServerDb) -> list[dict[str, Any]]:
    rows = db.all(
        "SELECT a.login, a.role, a.areas, a.created_at,"
        " (SELECT count(*) FROM device d WHERE d.login = a.login AND d.revoked_at IS NULL) AS live_tokens"
        " FROM account a ORDER BY a.login"
    )
    return [{**r, "areas": json.loads(r["areas"])} for r in rows]


def authenticate(db: ServerDb, token: str | None) -> DeviceAuth | None:
    """The device behind a token, or None for a missing, unknown or revoked token."""
    if not token:
        return None
    row = db.one(
        "SELECT d.id, d.login, a.role, a.areas FROM device d JOIN account a ON a.login = d.login"
        " WHERE d.token_hash = ? AND d.revoked_at IS NULL",
        (hash_token(token),),
    )
    if row is None:
        return None
    areas = json.loads(row["areas"])
    whole = row["role"] != "inspector" or DISTRICT in areas
    return DeviceAuth(row["id"], row["login"], row["role"], None if whole else tuple(areas))


def register_key(db: ServerDb, auth: DeviceAuth, key: str) -> bool:
    """Register the public key this device signs its chain with (issue 18); True when newly
    registered. A device has one key for its life: another key for it is refused, and a laptop
    that lost its key is enrolled again as a new device (the office revokes the old one)."""
    try:
        verifier = Verifier.parse(key)
    except NoteError as err:
        raise DomainError(f"not a device key: {err}") from None
    if verifier.name != device_key_name(auth.device_id):
        raise DomainError(f"a device key is named {device_key_name(auth.device_id)}")
    with db.transaction():
        lock = " FOR UPDATE" if db.kind == "postgres" else ""  # two registrations at once: one wins
        row = db.one(f"SELECT public_key FROM device WHERE id = ?{lock}", (auth.device_id,))
        if row and row["public_key"] == verifier.text():
            return False
        if row is None or row["public_key"]:
            raise KeyTaken("this device already has another key; enrol this laptop again as a new device")
        db.execute("UPDATE device SET public_key = ? WHERE id = ?", (verifier.text(), auth.device_id))
    return True


class NotOffice(DomainError):
    """The request is the district office's to make (answered 403)."""


class KeyTaken(DomainError):
    """The device has another key registered (answered 409)."""
