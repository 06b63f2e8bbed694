"""Evidence in the documents people read: thumbnails with their hashes, inside one HTML file.

The order a unit receives and the report the office sends are single files opened offline, so
each photo is embedded as its thumbnail (a data URI, a few tens of KB), captioned with what it
shows, who took it and when, and the SHA-256 of the full file: whoever holds the page can ask
SafeCity for the photo by that hash and check it is the one the record names. A photo whose
thumbnail this laptop does not hold yet is named by its hash alone.

Who calls this: `schema.office.orders.render_html` and `schema.office.report_html`.
"""

from __future__ import annotations

import base64
import html
import sqlite3
from typing import Any

from schema.attachments import attachments_by_hazard
from schema.periods import Period
from schema.store.files import FolderStore

ROLE_WORDS = {
    "before": "整改前 before",
    "after": "整改后 after",
    "evidence": "佐证 evidence",
    "signed_receipt": "签收回执 signed receipt",
    "document": "文件 document",
}
EVIDENCE_CSS = (
    ".evidence { display: flex; flex-wrap: wrap; gap: 8px; margin: .3em 0 .8em; }"
    " .evidence figure { margin: 0; width: 170px; font-size: 10px; color: #57606a; }"
    " .evidence img { width: 170px; height: 128px; object-fit: cover; border: 1px solid #d0d7de; }"
    " .evidence code { word-break: break-all; }"
)


def figures(attachments: list[dict[str, Any]], store: FolderStore | None) -> str:
    """A row of captioned thumbnails (or hashes, where no thumbnail is held)."""
    esc = html.escape
    parts = []
    for a in attachments:
        thumb = a.get("thumb_sha256")
        if store is not None and thumb and store.has(thumb):
            data = base64.b64encode(store.path(thumb).read_bytes()).decode()
            picture = f'<img alt="{esc(a["original_name"] or "")}" src="data:image/jpeg;base64,{data}">'
        else:
            picture = f"<div>{'PDF' if a['media_type'] == 'application/pdf' else '照片未在本机 photo not here'}</div>"
        parts.append(
            f"<figure>{picture}<figcaption>{esc(ROLE_WORDS.get(a['role'], a['role']))} · "
            f"{esc(a['original_name'] or '')}<br>{esc(a['captured_by'] or '')} {esc((a['captured_at'] or '')[:16])}"
            f"<br>SHA-256 <code>{esc(a['sha256'])}</code></figcaption></figure>"
        )
    return f'<div class="evidence">{"".join(parts)}</div>' if parts else ""


def closures_with_evidence(conn: sqlite3.Connection, period: Period, store: FolderStore | None, limit: int = 40) -> str:
    """The report's section: hazards whose evidence was taken in the period (the closed ones first),
    each with its before and after photos."""
    esc = html.escape
    rows = conn.execute(
        "SELECT h.id, h.description, h.status, h.closed_at, u.name AS unit_name FROM hazard h"
        " JOIN unit u ON u.id = h.unit_id WHERE h.id IN ("
        "  SELECT coalesce(p.hazard_id, v.hazard_id, a.owner_id) FROM attachment a"
        "  LEFT JOIN progress p ON a.owner_table = 'progress' AND p.id = a.owner_id"
        "  LEFT JOIN verification v ON a.owner_table = 'verification' AND v.id = a.owner_id"
        "  WHERE a.owner_table IN ('hazard', 'progress', 'verification') AND substr(a.captured_at, 1, 10) BETWEEN ? AND ?)"
        " ORDER BY h.status = 'closed' DESC, h.closed_at DESC, h.id LIMIT ?",
        (period.start.isoformat(), period.end.isoformat(), limit + 1),
    ).fetchall()
    if not rows:
        return ""
    evidence = attachments_by_hazard(conn, [r["id"] for r in rows[:limit]])
    items = "".join(
        f"<h3>{esc(r['description'])} <small>{esc(r['unit_name'])} · "
        f"{'销号 closed ' + esc(r['closed_at'][:10]) if r['status'] == 'closed' else esc(r['status'])} · {esc(r['id'])}</small></h3>"
        + figures(evidence[r["id"]], store)
        for r in rows[:limit]
    )
    more = f"<p class=note>另有更多 and more: {limit} are shown</p>" if len(rows) > limit else ""
    return f"<h2>整改佐证 Evidence of rectification</h2>{items}{more}"
