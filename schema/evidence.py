"""Evidence (佐证材料) in the rules: what an attachment row must be, and what a closure needs.

A hazard is closed (销号) on evidence: a photo after rectification, and for a fix on the spot a
photo of the problem as found. Whether a district demands it is a synced setting the office
writes (`setting` rows, pulled by every laptop), so the laptop refuses a pass without its photo
at once, and the district server refuses the same op from any client, in the same words.

Who calls this: `schema.hazards.act` (the laptop), `schema.attachments` (a new row) and
`sync.server.push_rules` (every pushed attachment and closure). The SQL here runs on SQLite and
PostgreSQL alike: the caller passes a function that runs a query and returns its first row.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

ROLES = ("before", "after", "evidence", "signed_receipt", "document")
"""What an attachment shows (the `attachment.role` CHECK lists the same)."""

MEDIA_TYPES = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/webp": ".webp",
    "application/pdf": ".pdf",
}
"""What is stored and synced (a phone's HEIC is converted to JPEG when attached)."""

MAX_FILE_BYTES = 256 * 2**20
"""The largest file an attachment row may name (a scanned register can be 100 MB; photos are
downscaled well below this when attached)."""

SHA256 = re.compile(r"[0-9a-f]{64}")

PASS_NEEDS_AFTER = "evidence.pass_needs_after"
FIX_NEEDS_BEFORE = "evidence.fix_needs_before"
SETTINGS = {
    PASS_NEEDS_AFTER: "a verification is passed only with an 'after' photo of the rectification",
    FIX_NEEDS_BEFORE: "a fix on the spot is recorded only with a 'before' photo of the hazard as found",
}
"""The district's evidence settings ('on' or 'off'; off unless the office turns them on)."""

NEEDED_FOR = {
    "pass": (
        "after",
        PASS_NEEDS_AFTER,
        "the district requires a photo of the rectification to pass a verification: attach an 'after' photo first",
    ),
    "fix_on_spot": (
        "before",
        FIX_NEEDS_BEFORE,
        "the district requires a photo of the hazard as found to record a fix on the spot: attach a 'before' photo first",
    ),
}
"""Lifecycle action -> (the role of photo it needs, the setting that demands it, the refusal)."""

STEP_ACTIONS = {("awaiting_verification", "closed"): "pass", ("reported", "awaiting_verification"): "fix_on_spot"}
"""A status change as the server sees it -> the action it is (the server has only the row)."""

FirstRow = Callable[[str, Sequence[Any]], Any]
"""Runs a query, returns its first row or None (a laptop connection or the server's db)."""

_HAS_EVIDENCE = (
    "SELECT 1 AS x FROM attachment WHERE role = ? AND ("
    " (owner_table = 'hazard' AND owner_id = ?)"
    " OR (owner_table = 'progress' AND owner_id IN (SELECT id FROM progress WHERE hazard_id = ?))"
    " OR (owner_table = 'verification' AND owner_id IN (SELECT id FROM verification WHERE hazard_id = ?))"
    ") LIMIT 1"
)


def setting_on(first_row: FirstRow, key: str) -> bool:
    row = first_row("SELECT value FROM setting WHERE id = ?", (key,))
    return row is not None and row["value"] == "on"


def has_evidence(first_row: FirstRow, hazard_id: str, role: str) -> bool:
    """An attachment of `role` on the hazard, one of its progress notes or its verifications."""
    return first_row(_HAS_EVIDENCE, (role, hazard_id, hazard_id, hazard_id)) is not None


def closure_refusal(first_row: FirstRow, action: str, hazard_id: str) -> str | None:
    """Why `action` may not be taken on the hazard for want of its photo; None if it may."""
    needed = NEEDED_FOR.get(action)
    if needed is None:
        return None
    role, key, refusal = needed
    if setting_on(first_row, key) and not has_evidence(first_row, hazard_id, role):
        return refusal
    return None


def attachment_refusal(fields: Mapping[str, Any]) -> str | None:
    """Why a new attachment row is not one SafeCity would write: its bytes must be named by a
    SHA-256 and a plausible size, of a type every laptop can show."""
    for name in ("sha256", "thumb_sha256"):
        value = fields.get(name)
        if value is not None and not (isinstance(value, str) and SHA256.fullmatch(value)):
            return f"attachment.{name} must be 64 lowercase hexadecimal digits (a SHA-256)"
    for name, largest in (("size", MAX_FILE_BYTES), ("thumb_size", MAX_FILE_BYTES)):
        value = fields.get(name)
        if value is not None and not (isinstance(value, int) and 0 < value <= largest):
            return f"attachment.{name} must be from 1 to {largest:,} bytes"
    if (fields.get("thumb_sha256") is None) != (fields.get("thumb_size") is None):
        return "attachment.thumb_sha256 and thumb_size go together"
    if fields.get("media_type") not in MEDIA_TYPES:
        return f"attachment.media_type must be one of {', '.join(MEDIA_TYPES)}"
    return None
