"""Evidence where people look and where they attach it: the CLI, the documents, the TUI (issue 17)."""

from __future__ import annotations

import base64
import hashlib
import json
import os
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from PIL import Image
from textual.widgets import Input, Label, OptionList

from schema.attachments import attach, attachments_of
from schema.hazards import act
from schema.office import assessment, orders
from schema.office.report_html import district_report
from schema.periods import parse_period
from schema.store.connection import connect
from schema.store.files import files_beside
from schema.writes import Writer, local_actor
from tests.conftest import TODAY
from tests.tui.test_app import SIZE, make_app
from tests.tui.test_forms import burst, hazard, last_event, written_since
from tui.cli.main import main
from tui.config import Photos
from tui.screens.detail import HazardScreen
from tui.screens.evidence import AttachScreen, EvidenceScreen


def photo(path: Path, seed: int = 0, size: tuple[int, int] = (400, 300)) -> Path:
    data = hashlib.shake_256(str(seed).encode()).digest(size[0] * size[1] * 3)
    Image.frombytes("RGB", size, data).save(path, "JPEG", quality=90)
    return path


def run(*args: str, ok: bool = True) -> Any:
    result = CliRunner().invoke(main, list(args))
    if ok:
        assert result.exit_code == 0, result.output
    return result


def test_attach_list_and_get_on_the_command_line(district_path, tmp_path):
    db = str(district_path)
    conn = connect(district_path)
    hazard_id = conn.execute("SELECT id FROM hazard WHERE status = 'reported' LIMIT 1").fetchone()[0]
    conn.close()
    picture = photo(tmp_path / "IMG_0007.jpg")
    made = json.loads(run("--db", db, "attach", hazard_id, str(picture), "--role", "before", "--json").output)
    assert made[0]["sha256"] == hashlib.sha256(picture.read_bytes()).hexdigest() and made[0]["here"]

    listed = json.loads(run("--db", db, "attachment", "list", hazard_id, "--json").output)
    assert [a["id"] for a in listed] == [made[0]["id"]]
    shown = json.loads(run("--db", db, "hazard", "show", hazard_id, "--json").output)
    assert [a["id"] for a in shown["attachments"]] == [made[0]["id"]]

    out = tmp_path / "copy.jpg"
    got = json.loads(run("--db", db, "attachment", "get", made[0]["id"], "-o", str(out), "--json").output)
    assert out.read_bytes() == picture.read_bytes() and not got["fetched"]


def test_a_file_that_cannot_be_attached_is_one_line_and_exit_1(district_path, tmp_path):
    conn = connect(district_path)
    hazard_id = conn.execute("SELECT id FROM hazard WHERE status = 'reported' LIMIT 1").fetchone()[0]
    before = conn.execute("SELECT count(*) FROM event").fetchone()[0]
    conn.close()
    notes = tmp_path / "notes.docx"
    notes.write_bytes(os.urandom(1000))
    result = run("--db", str(district_path), "attach", hazard_id, str(notes), "--role", "before", ok=False)
    assert result.exit_code == 1 and result.output.startswith("error: notes.docx is not a photo")
    assert "Traceback" not in result.output
    conn = connect(district_path)
    assert conn.execute("SELECT count(*) FROM event").fetchone()[0] == before


def test_the_order_and_the_report_embed_thumbnails_with_their_hashes(district, tmp_path):
    w = Writer(district, local_actor(district))
    store = files_beside(district)
    assert store is not None
    hazard_id = district.execute(
        "SELECT id FROM hazard WHERE status = 'reported' AND grade = 'general' LIMIT 1"
    ).fetchone()[0]
    [before] = attach(w, store, hazard_id, [photo(tmp_path / "b.jpg", 1)], "before")
    order_id = orders.issue_order(w, [hazard_id], today=TODAY)
    [receipt] = attach(w, store, order_id, [photo(tmp_path / "r.jpg", 2)], "signed_receipt")
    page = orders.render_html(orders.order_document(district, order_id), store)
    for attachment_id in (before, receipt):
        a = next(
            x
            for x in attachments_of(district, hazard_id, store) + attachments_of(district, order_id, store)
            if x["id"] == attachment_id
        )
        assert a["sha256"] in page
        assert base64.b64encode(store.path(a["thumb_sha256"]).read_bytes()).decode() in page

    act(w, hazard_id, "submit", {"note": "已整改"}, today=TODAY)
    [after] = attach(w, store, hazard_id, [photo(tmp_path / "a.jpg", 3)], "after")
    act(w, hazard_id, "pass", {"opinion": "复查合格"}, today=TODAY)
    report = district_report(district, parse_period(f"{TODAY.year}Q{(TODAY.month - 1) // 3 + 1}"), today=TODAY)
    after_row = next(a for a in attachments_of(district, hazard_id, store) if a["id"] == after)
    assert "整改佐证 Evidence of rectification" in report and after_row["sha256"] in report


def test_the_assessment_drill_down_reaches_a_hazards_photos(district, tmp_path):
    w = Writer(district, local_actor(district))
    store = files_beside(district)
    assert store is not None
    result = assessment.score(district, assessment.load_indicators(), parse_period("2026Q4"), today=TODAY)
    stack, behind = list(result["indicators"]), None
    while stack and behind is None:
        node = stack.pop()
        stack.extend(node.get("children", []))
        for d in node.get("deductions", []):
            hazards = [e for e in d["evidence"] if e["table"] == "hazard"]
            if hazards:
                behind = (node["code"], hazards[0]["id"])
    assert behind is not None
    code, hazard_id = behind
    [made] = attach(w, store, hazard_id, [photo(tmp_path / "x.jpg")], "before")
    node = assessment.with_attachments(district, assessment.find(result, code))
    entries = [e for d in node["deductions"] for e in d["evidence"] if e["id"] == hazard_id]
    assert entries and entries[0]["attachments"][0]["id"] == made


async def attach_dialog(pilot: Any, app: Any, status: str) -> str:
    """A hazard in `status` opened, and `a` pressed on it: the attach dialog is up."""
    hazard_id = hazard(app, status)
    app.push_screen(HazardScreen(hazard_id))
    await pilot.pause()
    await pilot.press("a")
    await pilot.pause()
    assert isinstance(app.screen, AttachScreen)
    return hazard_id


async def test_photos_marked_in_the_inbox_are_attached_once_however_often_enter_is_pressed(district_path, tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for n in range(3):
        photo(inbox / f"IMG_{n}.jpg", n)
    app = make_app(district_path, photos=Photos(inbox=inbox))
    async with app.run_test(size=SIZE) as pilot:
        hazard_id = await attach_dialog(pilot, app, "rectifying")
        await pilot.press("space", "space")  # the two newest, marked
        mark = last_event(app)
        await burst(pilot, app, "enter", "enter", "enter")
        assert app.is_running and isinstance(app.screen, HazardScreen)
        written = written_since(app, mark)
        assert [t for t, _ in written] == ["attachment", "attachment"]
        shown = attachments_of(app.conn, hazard_id)
        assert sorted(a["original_name"] for a in shown) == ["IMG_1.jpg", "IMG_2.jpg"]
        assert {a["role"] for a in shown} == {"after"}  # a hazard being rectified: the photo after

        await pilot.press("P")
        await pilot.pause()
        assert isinstance(app.screen, EvidenceScreen)
        assert app.screen.query_one(OptionList).option_count == 2


async def test_a_refused_file_is_said_in_the_dialog_which_keeps_what_was_chosen(district_path, tmp_path):
    app = make_app(district_path)
    async with app.run_test(size=SIZE) as pilot:
        hazard_id = await attach_dialog(pilot, app, "reported")
        typed = tmp_path / "report.txt"
        typed.write_text("not a photo")
        app.screen.query_one("#path", Input).value = str(typed)
        app.screen.query_one("#path", Input).focus()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, AttachScreen)
        assert "not a photo" in str(app.screen.query_one("#error", Label).render())
        assert app.screen.query_one("#path", Input).value == str(typed)
        assert not attachments_of(app.conn, hazard_id)
