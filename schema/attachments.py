"""Attaching evidence on the laptop, offline: check the file, make it fit, store it, record it.

Everything a person could get wrong is refused here, when attaching, in words: a missing or
unreadable file, a type other laptops cannot show, a file too large, a HEIC photo where the HEIC
reader is missing. What ODK users met as a raw 413 at the server, days later, never reaches it.

A photo is stored as taken when it fits; one larger than `AttachSettings.max_edge` pixels (a
phone's 12-50 megapixels) is downscaled and re-encoded, turned upright by its EXIF orientation,
and its original is kept only if configured (beside the store, never synced). A phone's HEIC is
converted to JPEG, which every laptop and browser shows. Each image gets a small thumbnail,
which laptops fetch eagerly; full images travel on demand.

Several files attached together are all recorded or none: their bytes go into the store first
(a file without a row is harmless, a row without its file is not), then their rows in one
transaction through the one write path, each with its event in the outbox.

Who calls this: `safecity attach` and the TUI's attach screen.
"""

from __future__ import annotations

import io
import sqlite3
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from schema.errors import DomainError, NotFound
from schema.evidence import MAX_FILE_BYTES, MEDIA_TYPES, ROLES, attachment_refusal
from schema.store.files import FolderStore
from schema.tables import ATTACHMENT_OWNERS
from schema.writes import Writer, utc_now

if TYPE_CHECKING:
    from PIL import Image

OWNER_WORDS = {
    "hazard": "hazard",
    "progress": "progress note",
    "verification": "verification",
    "inspection_result": "inspection item",
    "rectification_order": "rectification order",
    "lookback": "look-back item",
}

LARGEST_INPUT = 256 * 2**20
"""The largest file read when attaching (a raw photo is downscaled below MAX_FILE_BYTES)."""


@dataclass(frozen=True)
class AttachSettings:
    """How photos are made to fit (tui.config reads them from the user's config file)."""

    max_edge: int = 2560
    """Longest side, in pixels, of a stored photo; larger ones are downscaled."""
    thumb_edge: int = 320
    """Longest side of the thumbnail laptops fetch eagerly."""
    keep_originals: bool = False
    """Keep the original of a downscaled photo on this laptop (in the store's `originals/`)."""
    max_bytes: int = MAX_FILE_BYTES
    """The largest file stored (after downscaling)."""


@dataclass
class Prepared:
    """One file made ready to store: its bytes (or its path, when stored as it is) and what a row says of it."""

    name: str
    media_type: str
    data: bytes | None
    source: Path
    width: int | None = None
    height: int | None = None
    taken_at: str | None = None
    thumb: bytes | None = None
    original_kept: bool = False


def owner_of(conn: sqlite3.Connection, owner_id: str) -> tuple[str, sqlite3.Row]:
    """The table and row of the record `owner_id` names (ids are unique across tables)."""
    for table in ATTACHMENT_OWNERS:
        row = conn.execute(f"SELECT * FROM {table} WHERE id = ?", (owner_id,)).fetchone()
        if row is not None:
            return table, row
    raise NotFound(
        f"no record with id {owner_id} to attach to (a hazard, progress note, verification, "
        "inspection item, rectification order or look-back item)"
    )


def _sniff(head: bytes) -> str | None:
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head[4:8] == b"ftyp" and head[8:12] in (b"heic", b"heix", b"hevc", b"heim", b"heis", b"mif1", b"msf1"):
        return "image/heic"
    return None


def prepare(path: Path, settings: AttachSettings) -> Prepared:
    """Check one file and make its stored form; DomainError naming the file if it cannot be attached."""
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise DomainError(f"{path} is not a file")
        with path.open("rb") as f:
            head = f.read(16)
    except FileNotFoundError:
        raise DomainError(f"no file {path}") from None
    except OSError as err:
        raise DomainError(f"cannot read {path}: {err.strerror or err}") from None
    if size == 0:
        raise DomainError(f"{path.name} is empty")
    kind = _sniff(head)
    if kind is None:
        raise DomainError(
            f"{path.name} is not a photo (JPEG, PNG, WebP, HEIC) or a PDF document; only those are attached"
        )
    if kind == "application/pdf":
        if size > settings.max_bytes:
            raise DomainError(
                f"{path.name} is {size / 2**20:.1f} MB; documents up to {settings.max_bytes // 2**20} MB are attached"
            )
        return Prepared(path.name, kind, None, path)
    if size > LARGEST_INPUT:
        raise DomainError(
            f"{path.name} is {size / 2**20:.0f} MB; photos up to {LARGEST_INPUT // 2**20} MB are attached"
        )
    return _prepare_image(path, kind, size, settings)


def _open_image(path: Path, kind: str) -> Image.Image:
    from PIL import Image, UnidentifiedImageError

    if kind == "image/heic":
        try:
            from pillow_heif import register_heif_opener
        except ImportError:
            raise DomainError(
                f"{path.name} is a HEIC photo and this SafeCity cannot read HEIC (install pillow-heif), "
                "or export the photo as JPEG"
            ) from None
        register_heif_opener()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(path)
            image.load()
        return image
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as err:
        raise DomainError(f"{path.name} looks like a photo but cannot be read ({err})") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise DomainError(f"{path.name} has too many pixels to be a photo") from None


def _taken_at(image: Image.Image) -> str | None:
    """When the camera says it took the photo (EXIF DateTimeOriginal, else DateTime), as it wrote it."""
    exif = image.getexif()
    text = exif.get_ifd(0x8769).get(36867) or exif.get(306)
    if not isinstance(text, str) or len(text) < 19:
        return None
    day, _, clock = text.strip().partition(" ")
    return f"{day.replace(':', '-')}T{clock[:8]}" if clock else None


def _prepare_image(path: Path, kind: str, size: int, settings: AttachSettings) -> Prepared:
    from PIL import Image, ImageOps  # Pillow is loaded when a photo is attached, not for every command

    image = _open_image(path, kind)
    taken_at = _taken_at(image)
    turned = image.getexif().get(0x0112, 1) not in (0, 1)  # EXIF orientation: the camera was held sideways
    upright = ImageOps.exif_transpose(image) if turned else image
    too_large = max(upright.size) > settings.max_edge or size > settings.max_bytes
    data: bytes | None = None
    stored_kind = kind
    if kind == "image/heic" or too_large or turned:
        stored = upright.copy()
        stored.thumbnail((settings.max_edge, settings.max_edge), Image.Resampling.LANCZOS)
        stored_kind = "image/png" if kind == "image/png" else "image/jpeg"
        data = _encode(stored, stored_kind, quality=85)
        if len(data) > settings.max_bytes:
            raise DomainError(f"{path.name} is still larger than {settings.max_bytes // 2**20} MB when downscaled")
        width, height = stored.size
    else:
        width, height = upright.size
    thumb = upright.copy()
    thumb.thumbnail((settings.thumb_edge, settings.thumb_edge), Image.Resampling.LANCZOS)
    return Prepared(
        path.name,
        stored_kind,
        data,
        path,
        width,
        height,
        taken_at,
        _encode(thumb, "image/jpeg", quality=70),
        original_kept=data is not None and settings.keep_originals,
    )


def _encode(image: Image.Image, kind: str, *, quality: int) -> bytes:
    out = io.BytesIO()
    if kind == "image/png":
        image.save(out, "PNG", optimize=False)
    else:
        image.convert("RGB").save(out, "JPEG", quality=quality)
    return out.getvalue()


def attach(
    w: Writer,
    store: FolderStore,
    owner_id: str,
    paths: list[Path],
    role: str,
    settings: AttachSettings | None = None,
) -> list[str]:
    """Attach each of `paths` to the record `owner_id` as `role`; returns the new attachment ids.
    All are attached or none."""
    settings = settings or AttachSettings()
    if role not in ROLES:
        raise DomainError(f"role must be one of {', '.join(ROLES)}; got {role!r}")
    if not paths:
        raise DomainError("give at least one file to attach")
    owner_table, owner = owner_of(w.conn, owner_id)
    if role == "signed_receipt" and owner_table != "rectification_order":
        raise DomainError("a signed receipt is attached to a rectification order")
    if owner_table == "hazard" and owner["status"] == "void":
        raise DomainError("a void hazard takes no more evidence")
    prepared = [prepare(Path(p), settings) for p in paths]
    rows = []
    for item in prepared:
        if item.data is not None:
            sha256, size = store.put_bytes(item.data), len(item.data)
        else:
            sha256, size = store.put_file(item.source)
        if item.original_kept:
            originals = store.root / "originals"
            originals.mkdir(mode=0o700, exist_ok=True)
            (originals / f"{sha256}{item.source.suffix.lower()}").write_bytes(item.source.read_bytes())
        thumb = store.put_bytes(item.thumb) if item.thumb is not None else None
        fields: dict[str, Any] = {
            "owner_table": owner_table,
            "owner_id": owner_id,
            "role": role,
            "sha256": sha256,
            "size": size,
            "media_type": item.media_type,
            "original_name": item.name[:200],
            "taken_at": item.taken_at,
            "captured_by": w.actor.login,
            "captured_at": utc_now(),
            "width": item.width,
            "height": item.height,
            "thumb_sha256": thumb,
            "thumb_size": len(item.thumb) if item.thumb is not None else None,
        }
        refusal = attachment_refusal(fields)
        if refusal:
            raise DomainError(refusal)
        rows.append(fields)
    with w.transaction():
        ids = [w.create("attachment", fields) for fields in rows]
        for fields in rows:
            note_held(w.conn, fields["sha256"], fields["size"], sent=False)
            if fields["thumb_sha256"]:
                note_held(w.conn, fields["thumb_sha256"], fields["thumb_size"], sent=False)
    return ids


def note_held(conn: sqlite3.Connection, sha256: str, size: int, *, sent: bool) -> None:
    """Record that this laptop holds the bytes of `sha256` (`sent`: the server has them too)."""
    conn.execute(
        "INSERT INTO file_copy (sha256, size, here, sent) VALUES (?, ?, 1, ?)"
        " ON CONFLICT (sha256) DO UPDATE SET here = 1, sent = max(sent, excluded.sent)",
        (sha256, size, int(sent)),
    )


ATTACHMENT_COLUMNS = (
    "id, owner_table, owner_id, role, sha256, size, media_type, original_name, taken_at, captured_by,"
    " captured_at, width, height, thumb_sha256, thumb_size"
)


def attachments_of(conn: sqlite3.Connection, owner_id: str, store: FolderStore | None = None) -> list[dict[str, Any]]:
    """The attachments of a record, and for a hazard those of its progress notes and
    verifications too (the evidence of its closure), oldest first; `here` says whether this
    laptop holds the full file and the thumbnail."""
    rows = conn.execute(
        f"SELECT {ATTACHMENT_COLUMNS} FROM attachment WHERE owner_id = ?"
        " OR owner_id IN (SELECT id FROM progress WHERE hazard_id = ?)"
        " OR owner_id IN (SELECT id FROM verification WHERE hazard_id = ?)"
        " ORDER BY captured_at, id",
        (owner_id, owner_id, owner_id),
    ).fetchall()
    return [_described(dict(r), store) for r in rows]


def attachment(conn: sqlite3.Connection, attachment_id: str, store: FolderStore | None = None) -> dict[str, Any]:
    row = conn.execute(f"SELECT {ATTACHMENT_COLUMNS} FROM attachment WHERE id = ?", (attachment_id,)).fetchone()
    if row is None:
        raise NotFound(f"no attachment with id {attachment_id}")
    return _described(dict(row), store)


def _described(row: dict[str, Any], store: FolderStore | None) -> dict[str, Any]:
    row["here"] = bool(store and store.has(row["sha256"]))
    row["thumb_here"] = bool(store and row["thumb_sha256"] and store.has(row["thumb_sha256"]))
    row["extension"] = MEDIA_TYPES.get(row["media_type"], "")
    return row


def attachments_by_hazard(
    conn: sqlite3.Connection, hazard_ids: list[str], roles: tuple[str, ...] | None = None
) -> dict[str, list[dict[str, Any]]]:
    """hazard id -> its attachments (its own, its progress notes' and verifications'), oldest first."""
    found: dict[str, list[dict[str, Any]]] = {h: [] for h in hazard_ids}
    for start in range(0, len(hazard_ids), 500):
        part = hazard_ids[start : start + 500]
        marks = ", ".join("?" * len(part))
        rows = conn.execute(
            f"SELECT coalesce(p.hazard_id, v.hazard_id, a.owner_id) AS hazard, {', '.join('a.' + c.strip() for c in ATTACHMENT_COLUMNS.split(','))}"
            " FROM attachment a LEFT JOIN progress p ON a.owner_table = 'progress' AND p.id = a.owner_id"
            " LEFT JOIN verification v ON a.owner_table = 'verification' AND v.id = a.owner_id"
            f" WHERE coalesce(p.hazard_id, v.hazard_id, a.owner_id) IN ({marks}) ORDER BY a.captured_at, a.id",
            part,
        ).fetchall()
        for row in rows:
            if roles is None or row["role"] in roles:
                found[row["hazard"]].append(dict(row))
    return found
