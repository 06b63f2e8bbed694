"""Evidence travels: attached offline, synced apart from the edits, byte-identical everywhere,
resumable, scoped to the device's areas, and demanded by the rules on both sides (issue 17)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import httpx
import pytest
from PIL import Image

from schema.attachments import AttachSettings, attach, attachments_of
from schema.errors import DomainError
from schema.evidence import FIX_NEEDS_BEFORE, PASS_NEEDS_AFTER
from schema.settings import set_setting
from schema.store.files import files_beside
from sync.laptop.client import SyncSummary
from sync.laptop.files import FileSync
from tests.sync.harness import District, Laptop


def photo(path: Path, width: int = 640, height: int = 480, seed: int = 0) -> Path:
    """A JPEG of noise (it does not compress away), distinct per seed."""
    noise = Image.frombytes("RGB", (width, height), hashlib.shake_256(str(seed).encode()).digest(width * height * 3))
    noise.save(path, "JPEG", quality=95)
    return path


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def found_hazard(lap: Laptop, district: District, description: str = "消防通道堵塞") -> str:
    return lap.add(district.unit_in("xinhe"), description)


class Paths(httpx.BaseTransport):
    """Records each request's method and path on its way to the laptop's faulty transport."""

    def __init__(self, inner: httpx.BaseTransport):
        self.inner = inner
        self.seen: list[tuple[str, str]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.seen.append((request.method, request.url.path))
        return self.inner.handle_request(request)


def watched(lap: Laptop) -> Paths:
    paths = Paths(lap.transport)
    lap.http._transport = paths  # the client's one transport, now counted
    return paths


def test_a_photo_attached_offline_reaches_the_server_and_the_other_laptop_byte_for_byte(district, tmp_path):
    a, b = district.laptop("wang"), district.laptop("li")
    hazard = found_hazard(a, district)
    picture = photo(tmp_path / "IMG_0001.jpg")
    [attachment_id] = attach(a.writer, files_beside(a.conn), hazard, [picture], "before")

    summary = a.sync()
    assert summary.files_sent == 2 and summary.files_waiting == 0  # the photo and its thumbnail
    row = district.store.db().one("SELECT * FROM attachment WHERE id = ?", (attachment_id,))
    assert row is not None and row["sha256"] == sha256(picture) and row["captured_by"] == "wang"
    assert b"".join(district.store.files.read(row["sha256"])) == picture.read_bytes()

    summary = b.sync()
    assert summary.files_received == 1  # the thumbnail, eagerly; the photo on demand
    [shown] = attachments_of(b.conn, hazard, files_beside(b.conn))
    assert shown["thumb_here"] and not shown["here"]
    fetched = FileSync(b.client, files_beside(b.conn)).fetch(shown["sha256"], shown["size"])
    assert fetched is not None and fetched.read_bytes() == picture.read_bytes()


def test_a_large_photo_is_downscaled_when_attached_and_the_original_kept_only_if_configured(district, tmp_path):
    a = district.laptop("wang")
    hazard = found_hazard(a, district)
    store = files_beside(a.conn)
    big = photo(tmp_path / "big.jpg", 3000, 2000)
    [first] = attach(a.writer, store, hazard, [big], "before", AttachSettings(max_edge=1200))
    [second] = attach(
        a.writer,
        store,
        hazard,
        [photo(tmp_path / "b2.jpg", 3000, 2000, 2)],
        "before",
        AttachSettings(max_edge=1200, keep_originals=True),
    )
    rows = {r["id"]: r for r in attachments_of(a.conn, hazard, store)}
    assert (rows[first]["width"], rows[first]["height"]) == (1200, 800)
    assert rows[first]["size"] < big.stat().st_size
    originals = list((store.root / "originals").glob("*"))
    assert [p.name.split(".")[0] for p in originals] == [rows[second]["sha256"]]


def test_what_cannot_be_attached_is_refused_at_once_and_nothing_is_recorded(district, tmp_path):
    a = district.laptop("wang")
    hazard = found_hazard(a, district)
    store = files_beside(a.conn)
    text = tmp_path / "notes.txt"
    text.write_text("not a photo")
    good = photo(tmp_path / "ok.jpg")
    before = a.statuses().get("pending", 0)
    with pytest.raises(DomainError, match="not a photo"):
        attach(a.writer, store, hazard, [good, text], "before")
    with pytest.raises(DomainError, match="no file"):
        attach(a.writer, store, hazard, [tmp_path / "missing.jpg"], "before")
    with pytest.raises(DomainError, match="up to 1 MB"):
        pdf = tmp_path / "scan.pdf"
        pdf.write_bytes(b"%PDF-1.7\n" + os.urandom(2 * 2**20))
        attach(a.writer, store, hazard, [pdf], "document", AttachSettings(max_bytes=2**20))
    with pytest.raises(DomainError, match="signed receipt is attached to a rectification order"):
        attach(a.writer, store, hazard, [good], "signed_receipt")
    assert a.statuses().get("pending", 0) == before
    assert not attachments_of(a.conn, hazard)


def test_the_same_file_attached_twice_is_stored_and_sent_once(district, tmp_path):
    a = district.laptop("wang")
    first, second = found_hazard(a, district), found_hazard(a, district, "电线私拉乱接")
    picture = photo(tmp_path / "same.jpg")
    store = files_beside(a.conn)
    attach(a.writer, store, first, [picture], "before")
    attach(a.writer, store, second, [picture], "before")
    assert len([p for p in store.root.rglob("*") if p.is_file()]) == 2  # photo + thumbnail
    assert a.sync().files_sent == 2


def test_an_upload_cut_mid_file_resumes_where_the_server_stopped(district, tmp_path):
    a = district.laptop("wang")
    hazard = found_hazard(a, district)
    document = tmp_path / "order-scan.pdf"
    document.write_bytes(b"%PDF-1.7\n" + os.urandom(5 * 2**20))
    attach(a.writer, files_beside(a.conn), hazard, [document], "document")
    a.client.push(SyncSummary())  # the edits only: the row reaches the server, the bytes wait
    files = FileSync(a.client, files_beside(a.conn), piece=2**20)
    paths = watched(a)
    # Cuts before the server took a piece ("drop") and after it took one but before it answered ("lose").
    a.transport.plan = ["none", "drop", "none", "lose", "none", "none", "lose"]
    files.push()
    pieces = [p for p in paths.seen if p[0] == "PUT"]
    assert files.sent.files == 1 and files.sent.bytes == document.stat().st_size
    assert len(pieces) <= 6 + 3  # six pieces, at most one again per cut
    row = district.store.db().one("SELECT sha256 FROM attachment WHERE owner_id = ?", (hazard,))
    assert row is not None and b"".join(district.store.files.read(row["sha256"])) == document.read_bytes()


def test_bytes_that_are_not_the_file_named_are_refused_and_not_kept(district, tmp_path):
    a = district.laptop("wang")
    hazard = found_hazard(a, district)
    attach(a.writer, files_beside(a.conn), hazard, [photo(tmp_path / "x.jpg")], "before")
    a.client.push(SyncSummary())
    row = district.store.db().one("SELECT sha256, size FROM attachment WHERE owner_id = ?", (hazard,))
    assert row is not None
    response = a.http.put(
        f"/v1/files/{row['sha256']}",
        content=os.urandom(row["size"]),
        headers={**a.client.headers(), "SafeCity-Offset": "0"},
    )
    assert response.status_code == 422 and "not that file" in response.json()["error"]
    assert not district.store.files.stored([row["sha256"]])
    assert district.store.files.received(row["sha256"]) == 0


def test_a_file_of_another_area_can_be_neither_uploaded_nor_downloaded(district, tmp_path):
    a = district.laptop("wang", areas=("xinhe",))
    other = district.laptop("zhao", areas=("hangu",))
    hazard = found_hazard(a, district)
    attach(a.writer, files_beside(a.conn), hazard, [photo(tmp_path / "x.jpg")], "before")
    a.sync()
    row = district.store.db().one("SELECT sha256, size FROM attachment WHERE owner_id = ?", (hazard,))
    assert row is not None
    headers = {**other.client.headers(), "SafeCity-Offset": "0"}
    download = other.http.get(f"/v1/files/{row['sha256']}", headers=headers)
    assert download.status_code == 404
    wanted = other.client.request("POST", "/v1/files/wanted", body={"sha256": [row["sha256"]]})
    assert wanted == {"missing": {}, "unknown": [row["sha256"]]}
    planted = hashlib.sha256(b"planted").hexdigest()
    upload = other.http.put(f"/v1/files/{planted}", content=b"planted", headers=headers)
    assert upload.status_code == 404
    assert other.sync().files_received == 0
    assert not district.store.files.stored([planted])


def test_a_sync_with_everything_already_on_both_sides_asks_nothing_about_files(district, tmp_path):
    a, b = district.laptop("wang"), district.laptop("li")
    hazard = found_hazard(a, district)
    attach(a.writer, files_beside(a.conn), hazard, [photo(tmp_path / f"{i}.jpg", seed=i) for i in range(5)], "before")
    a.sync()
    b.sync()
    seen_a, seen_b = watched(a), watched(b)
    a.sync()
    b.sync()
    assert not [p for p in seen_a.seen + seen_b.seen if "/files" in p[1]]


def test_pass_without_an_after_photo_is_refused_on_the_laptop_and_by_the_server(district, tmp_path):
    office = district.laptop("chen", role="supervisor", areas=())
    inspector = district.laptop("wang")
    set_setting(office.writer, PASS_NEEDS_AFTER, "on")
    office.sync()
    hazard = found_hazard(inspector, district)
    inspector.act(hazard, "fix_on_spot", note="当场整改")
    inspector.sync()  # the setting arrives with the pull
    with pytest.raises(DomainError, match="attach an 'after' photo"):
        inspector.act(hazard, "pass", opinion="复查合格")

    # A client that skips the laptop's rules (another inspector's token): the server refuses the same pass.
    hostile = district.laptop("li")
    ops = [
        {
            "op_id": "0193a0c0-0000-7000-8000-00000000f001",
            "device_seq": 1,
            "hlc": 1 << 40,
            "table": "hazard",
            "pk": hazard,
            "action": "pass",
            "base_version": inspector.hazard(hazard)["row_version"],
            "fields": {"status": "closed", "closed_at": "2026-11-29T10:00:00Z"},
            "old": {"status": "awaiting_verification"},
        },
    ]
    answer = hostile.push_raw({"ops": ops}).json()
    assert answer["results"][0]["status"] == "rejected"
    assert "attach an 'after' photo" in answer["results"][0]["reason"]

    attach(inspector.writer, files_beside(inspector.conn), hazard, [photo(tmp_path / "after.jpg")], "after")
    inspector.act(hazard, "pass", opinion="复查合格")
    inspector.sync()
    server = district.server_hazard(hazard)
    assert server is not None and server["status"] == "closed"


def test_only_the_office_sets_the_districts_evidence_rules(district):
    inspector = district.laptop("wang")
    with pytest.raises(DomainError, match="only the district office"):
        set_setting(inspector.writer, PASS_NEEDS_AFTER, "off")


def test_a_fix_on_the_spot_without_a_before_photo_is_refused_when_the_district_requires_one(district, tmp_path):
    office = district.laptop("chen", role="supervisor", areas=())
    set_setting(office.writer, FIX_NEEDS_BEFORE, "on")
    office.sync()
    inspector = district.laptop("wang")
    inspector.sync()
    hazard = found_hazard(inspector, district)
    with pytest.raises(DomainError, match="attach a 'before' photo"):
        inspector.act(hazard, "fix_on_spot", note="当场整改")
    attach(inspector.writer, files_beside(inspector.conn), hazard, [photo(tmp_path / "found.jpg")], "before")
    inspector.act(hazard, "fix_on_spot", note="当场整改")
    assert inspector.sync().rejected == 0
    server = district.server_hazard(hazard)
    assert server is not None and server["status"] == "awaiting_verification"


def test_the_server_refuses_an_attachment_row_that_names_no_real_file(district):
    inspector = district.laptop("wang")
    hazard = found_hazard(inspector, district)
    inspector.sync()
    row = {"owner_table": "hazard", "owner_id": hazard, "role": "before", "media_type": "image/jpeg"}
    cases = [
        {**row, "sha256": "../../etc/passwd", "size": 10},
        {**row, "sha256": "a" * 64, "size": 0},
        {**row, "sha256": "a" * 64, "size": 10, "media_type": "text/html"},
        {**row, "sha256": "a" * 64, "size": 10, "owner_table": "unit", "owner_id": district.unit_in("xinhe")},
    ]
    hostile = district.laptop("li")
    ops = [
        {
            "op_id": f"0193a0c0-0000-7000-8000-0000000ff00{n}",
            "device_seq": n + 1,
            "hlc": 1 << 40,
            "table": "attachment",
            "pk": f"0193a0c0-0000-7000-8000-0000000aa00{n}",
            "action": "create",
            "base_version": 0,
            "fields": fields,
            "old": {},
        }
        for n, fields in enumerate(cases)
    ]
    results = hostile.push_raw({"ops": ops}).json()["results"]
    assert [r["status"] for r in results] == ["rejected"] * len(cases)
    assert "SHA-256" in results[0]["reason"] and "bytes" in results[1]["reason"]
    assert "media_type" in results[2]["reason"] and "owner_table" in results[3]["reason"]
    assert district.server_count("SELECT count(*) FROM attachment") == 0
