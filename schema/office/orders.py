"""Rectification orders (责令限期整改指令书): numbered documents issued offline.

Who calls this: `safecity order ...` and the TUI's hazard screen. An order names one unit,
the hazards it must rectify and the deadline, and is printed for the unit as text or HTML;
when it is served and when the unit signed for it are recorded later.

Why number blocks: an order number is an official document number, unique in the district
for the year, yet inspectors issue orders offline. The district server reserves a block of
numbers per device (`POST /v1/numbers`, see `sync.server.numbers` and `sync.laptop.numbers`); a laptop takes the next number
from its own blocks in the same transaction as the order, so two laptops can never issue the
same number and a number is never reused. A standalone database (no server) is its own
numbering authority. The blocks live in `meta` (never synced): they are this device's.
"""

from __future__ import annotations

import html
import json
import sqlite3
from datetime import date
from typing import Any

from schema.attachments import ATTACHMENT_COLUMNS, attachments_by_hazard
from schema.chain import seal, seal_html
from schema.errors import DomainError, NotFound
from schema.hazards import act, local_rules
from schema.office import evidence_html
from schema.store.files import FolderStore
from schema.store.transactions import get_meta, set_meta
from schema.tables import parse_date
from schema.writes import Writer

BLOCKS_KEY = "number_blocks"
"""meta key: JSON list of {"year", "first", "last", "next"} reserved for this device."""


def number_blocks(conn: sqlite3.Connection) -> list[dict[str, int]]:
    return json.loads(get_meta(conn, BLOCKS_KEY) or "[]")


def add_number_block(conn: sqlite3.Connection, year: int, first: int, last: int) -> None:
    """Keep a block the server reserved for this device (caller holds the transaction)."""
    blocks = number_blocks(conn)
    if not any(b["year"] == year and b["first"] == first for b in blocks):
        blocks.append({"year": year, "first": first, "last": last, "next": first})
    set_meta(conn, BLOCKS_KEY, json.dumps(blocks))


def numbers_left(conn: sqlite3.Connection, year: int) -> int:
    return sum(b["last"] - b["next"] + 1 for b in number_blocks(conn) if b["year"] == year)


def take_number(conn: sqlite3.Connection, year: int) -> int:
    """The next order number of `year` on this device; the caller holds the transaction."""
    if get_meta(conn, "server_url") is None:  # standalone: numbers follow the highest issued
        row = conn.execute("SELECT max(doc_seq) FROM rectification_order WHERE doc_year = ?", (year,)).fetchone()
        return int(row[0] or 0) + 1
    blocks = number_blocks(conn)
    for block in sorted(blocks, key=lambda b: b["first"]):
        if block["year"] == year and block["next"] <= block["last"]:
            number = block["next"]
            block["next"] += 1
            set_meta(conn, BLOCKS_KEY, json.dumps(blocks))
            return number
    raise DomainError(
        f"this laptop has no rectification-order numbers left for {year}; "
        "sync once with the district server to reserve a new block"
    )


def format_number(prefix: str, year: int, seq: int) -> str:
    return f"{prefix}〔{year}〕{seq:04d}号"


def issue_order(
    w: Writer,
    hazard_ids: list[str],
    *,
    today: date,
    deadline: str | None = None,
    served_to: str | None = None,
    requirements: str | None = None,
    five_implementations: dict[str, str] | None = None,
) -> str:
    """Issue one order for hazards of one unit; returns its id.

    A hazard still `reported` is ordered by it (the lifecycle's `order`, with its rules: a
    major hazard needs the five implementations). The order's deadline is the one given, or
    the latest deadline of its hazards. An order never moves the deadline of a hazard already
    under rectification (only an approved extension does), and never orders a date passed.
    """
    if not hazard_ids:
        raise DomainError("an order needs at least one hazard (--hazard ID)")
    if len(set(hazard_ids)) != len(hazard_ids):
        raise DomainError("the same hazard is named twice")
    if deadline is not None and parse_date(deadline, what="deadline") < today:
        raise DomainError(f"deadline {deadline} is in the past; give a date from {today.isoformat()} on")
    rules = local_rules(w.conn)
    with w.transaction():
        hazards = [w.get("hazard", h) for h in hazard_ids]
        units = {h["unit_id"] for h in hazards}
        if len(units) > 1:
            raise DomainError("an order is addressed to one unit; these hazards belong to several units")
        for h in hazards:
            if h["status"] not in ("reported", "rectifying"):
                raise DomainError(
                    f"hazard {h['id']} is {h['status']}; only reported or rectifying hazards "
                    "are ordered to be rectified"
                )
            if h["status"] == "rectifying" and deadline and deadline != h["deadline"]:
                raise DomainError(
                    f"hazard {h['id']} is already under rectification by {h['deadline']}; "
                    "its deadline moves only by an approved extension"
                )
            if h["status"] == "reported":
                act(
                    w,
                    h["id"],
                    "order",
                    {"deadline": deadline, "five_implementations": five_implementations or {}},
                    today=today,
                    rules=rules,
                )
        deadlines = [w.get("hazard", h)["deadline"] for h in hazard_ids]
        order_deadline = deadline or max(d for d in deadlines if d)
        if order_deadline < today.isoformat():
            raise DomainError(
                f"the rectification deadline {order_deadline} has passed; an overdue hazard needs an "
                "approved extension before a new order"
            )
        seq = take_number(w.conn, today.year)
        return w.create(
            "rectification_order",
            {
                "doc_number": format_number(rules.order_prefix, today.year, seq),
                "doc_year": today.year,
                "doc_seq": seq,
                "hazard_ids": json.dumps(hazard_ids),
                "unit_id": units.pop(),
                "deadline": order_deadline,
                "served_to": served_to,
                "issued_on": today.isoformat(),
                "issued_by": w.actor.login,
                "requirements": requirements,
            },
        )


def record_served(w: Writer, order_id: str, *, to: str, on: str, today: date) -> None:
    """The order was handed to `to` (a person at the unit) on `on`."""
    with w.transaction():
        order = w.get("rectification_order", order_id)
        _check_day(on, order["issued_on"], today, "served")
        w.update("rectification_order", order_id, {"served_to": to, "served_on": on}, action="serve")


def record_signed(w: Writer, order_id: str, *, by: str, on: str, today: date) -> None:
    """The unit signed for the order (签收)."""
    with w.transaction():
        order = w.get("rectification_order", order_id)
        if not order["served_on"]:
            raise DomainError("record when the order was served before recording its signature")
        _check_day(on, order["served_on"], today, "signed")
        w.update("rectification_order", order_id, {"signed_by": by, "signed_on": on}, action="sign")


def _check_day(text: str, not_before: str | None, today: date, what: str) -> None:
    day = parse_date(text, what=f"the {what} date")
    if day > today:
        raise DomainError(f"the {what} date {text} is in the future")
    if not_before and day < date.fromisoformat(not_before):
        raise DomainError(f"the {what} date {text} is before {not_before}")


def order_document(conn: sqlite3.Connection, order_id: str) -> dict[str, Any]:
    """Everything the printed order shows: the order, its unit and its hazards."""
    order = conn.execute("SELECT * FROM rectification_order WHERE id = ?", (order_id,)).fetchone()
    if order is None:
        raise NotFound(f"no rectification order with id {order_id}")
    unit = conn.execute("SELECT name, address, uscc FROM unit WHERE id = ?", (order["unit_id"],)).fetchone()
    ids = json.loads(order["hazard_ids"])
    hazards = [
        dict(r)
        for r in conn.execute(
            "SELECT h.id, h.description, h.location, h.grade, h.deadline, c.legal_basis FROM hazard h"
            f" LEFT JOIN criterion c ON c.id = h.criterion_id WHERE h.id IN ({', '.join('?' * len(ids))})",
            ids,
        )
    ]
    hazards.sort(key=lambda h: ids.index(h["id"]))
    before = attachments_by_hazard(conn, ids, roles=("before", "evidence"))
    for h in hazards:
        h["attachments"] = before[h["id"]]
    receipts = [
        dict(r)
        for r in conn.execute(
            f"SELECT {ATTACHMENT_COLUMNS} FROM attachment WHERE owner_id = ? ORDER BY captured_at", (order_id,)
        )
    ]
    return {
        **dict(order),
        "seal": seal(conn, order_id),
        "hazard_ids": ids,
        "unit": dict(unit) if unit else {},
        "hazards": hazards,
        "attachments": receipts,
    }


def list_orders(
    conn: sqlite3.Connection, *, unit_id: str | None = None, area: str | None = None
) -> list[dict[str, Any]]:
    sql = (
        "SELECT o.id, o.doc_number, o.unit_id, u.name AS unit_name, o.area, o.deadline, o.issued_on,"
        " o.served_on, o.signed_on, o.hazard_ids FROM rectification_order o JOIN unit u ON u.id = o.unit_id"
        " WHERE (? IS NULL OR o.unit_id = ?) AND (? IS NULL OR o.area = ?)"
        " ORDER BY o.doc_year DESC, o.doc_seq DESC"
    )
    rows = [dict(r) for r in conn.execute(sql, (unit_id, unit_id, area, area))]
    for row in rows:
        row["hazard_ids"] = json.loads(row["hazard_ids"])
    return rows


def _cn_date(text: str | None) -> str:
    if not text:
        return "____年__月__日"
    d = date.fromisoformat(text[:10])
    return f"{d.year}年{d.month}月{d.day}日"


def render_text(doc: dict[str, Any]) -> str:
    """The order as plain text, to print or paste (责令限期整改指令书)."""
    lines = ["责令限期整改指令书", f"{doc['doc_number']}", "", f"{doc['unit'].get('name', '')}："]
    lines.append("    经查，你单位存在下列安全生产事故隐患：")
    for n, h in enumerate(doc["hazards"], start=1):
        where = f"（{h['location']}）" if h.get("location") else ""
        basis = f" 依据：{h['legal_basis']}" if h.get("legal_basis") else ""
        lines.append(f"    {n}. {h['description']}{where}{'【重大】' if h['grade'] == 'major' else ''}{basis}")
    lines.append(
        f"    现责令你单位于{_cn_date(doc['deadline'])}前整改完毕，达到有关法律法规规章和标准规定的要求。"
        "整改期间应采取措施确保安全；逾期未整改的，将依法处理并追究责任。"
    )
    if doc.get("requirements"):
        lines.append(f"    整改要求：{doc['requirements']}")
    lines += [
        "",
        f"签发人：{doc.get('issued_by') or ''}    签发日期：{_cn_date(doc.get('issued_on'))}",
        f"送达：{doc.get('served_to') or '________'}    送达日期：{_cn_date(doc.get('served_on'))}",
        f"被检查单位签收：{doc.get('signed_by') or '________'}    签收日期：{_cn_date(doc.get('signed_on'))}",
    ]
    return "\n".join(lines) + "\n"


def render_html(doc: dict[str, Any], store: FolderStore | None = None) -> str:
    """The order as one self-contained HTML page, laid out for A4 printing; each hazard with its
    photos as found, and the signed receipt once photographed (thumbnails and SHA-256s)."""
    esc = html.escape
    items = "".join(
        f"<li>{esc(h['description'])}{'（' + esc(h['location']) + '）' if h.get('location') else ''}"
        f"{' <b>【重大】</b>' if h['grade'] == 'major' else ''}"
        f"{'<br><small>依据：' + esc(h['legal_basis']) + '</small>' if h.get('legal_basis') else ''}"
        f"{evidence_html.figures(h.get('attachments', []), store)}</li>"
        for h in doc["hazards"]
    )
    receipt = evidence_html.figures(doc.get("attachments", []), store)
    requirements = f"<p>整改要求：{esc(doc['requirements'])}</p>" if doc.get("requirements") else ""
    return f"""<!doctype html>
<html lang="zh"><head><meta charset="utf-8"><title>{esc(doc["doc_number"])}</title>
<style>
@page {{ size: A4; margin: 25mm 20mm; }}
body {{ font-family: "Noto Serif CJK SC", "SimSun", serif; max-width: 170mm; margin: 2em auto; line-height: 1.8; }}
h1 {{ text-align: center; letter-spacing: .3em; font-size: 22pt; margin-bottom: 0; }}
.number {{ text-align: center; margin-top: 0; }}
.signatures {{ margin-top: 3em; display: grid; grid-template-columns: 1fr 1fr; gap: .5em 2em; }}
{evidence_html.EVIDENCE_CSS}
</style></head><body>
<h1>责令限期整改指令书</h1>
<p class="number">{esc(doc["doc_number"])}</p>
<p>{esc(doc["unit"].get("name", ""))}：</p>
<p>经查，你单位存在下列安全生产事故隐患：</p>
<ol>{items}</ol>
<p>现责令你单位于<b>{_cn_date(doc["deadline"])}</b>前整改完毕，达到有关法律法规规章和标准规定的要求。
整改期间应采取措施确保安全；逾期未整改的，将依法处理并追究责任。</p>
{requirements}
<div class="signatures">
<span>签发人：{esc(doc.get("issued_by") or "")}</span><span>签发日期：{_cn_date(doc.get("issued_on"))}</span>
<span>送达：{esc(doc.get("served_to") or "")}</span><span>送达日期：{_cn_date(doc.get("served_on"))}</span>
<span>签收：{esc(doc.get("signed_by") or "")}</span><span>签收日期：{_cn_date(doc.get("signed_on"))}</span>
</div>
{receipt}
{seal_html(doc["seal"]) if doc.get("seal") else ""}
</body></html>
"""
