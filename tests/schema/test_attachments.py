"""Attaching on the laptop: what a phone gives is made to fit, what cannot be shown is refused."""

from __future__ import annotations

import sys

import pytest
from PIL import Image

from schema.attachments import AttachSettings, attach, attachments_of, prepare
from schema.errors import DomainError
from schema.store.files import files_beside


def test_a_phones_heic_photo_is_stored_as_jpeg(tmp_path):
    pillow_heif = pytest.importorskip("pillow_heif")
    source = tmp_path / "IMG_2041.HEIC"
    pillow_heif.from_pillow(Image.new("RGB", (640, 480), (200, 40, 40))).save(source, quality=80)
    prepared = prepare(source, AttachSettings())
    assert prepared.media_type == "image/jpeg" and prepared.data is not None
    assert prepared.data.startswith(b"\xff\xd8\xff") and (prepared.width, prepared.height) == (640, 480)


def test_a_heic_photo_without_its_reader_is_refused_with_what_to_do(tmp_path, monkeypatch):
    source = tmp_path / "IMG_2042.heic"
    source.write_bytes(b"\x00\x00\x00\x18ftypheic" + b"\x00" * 64)
    monkeypatch.setitem(sys.modules, "pillow_heif", None)  # as on a laptop without pillow-heif
    with pytest.raises(DomainError, match="cannot read HEIC .install pillow-heif., or export the photo as JPEG"):
        prepare(source, AttachSettings())


def test_a_photo_taken_sideways_is_stored_upright_with_the_cameras_time(tmp_path):
    source = tmp_path / "IMG_2043.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees to view
    exif.get_ifd(0x8769)[36867] = "2026:11:28 09:15:02"
    Image.new("RGB", (400, 300), (10, 120, 200)).save(source, "JPEG", exif=exif)
    prepared = prepare(source, AttachSettings())
    assert (prepared.width, prepared.height) == (300, 400)
    assert prepared.taken_at == "2026-11-28T09:15:02"


def test_a_photo_that_fits_is_stored_byte_for_byte(writer, tmp_path):
    source = tmp_path / "IMG_2044.jpg"
    Image.new("RGB", (800, 600), (90, 90, 90)).save(source, "JPEG", quality=90)
    hazard = writer.conn.execute("SELECT id FROM hazard WHERE status = 'reported' LIMIT 1").fetchone()[0]
    store = files_beside(writer.conn)
    [made] = attach(writer, store, hazard, [source], "before")
    [row] = attachments_of(writer.conn, hazard, store)
    assert row["id"] == made and store.path(row["sha256"]).read_bytes() == source.read_bytes()
    assert row["thumb_here"] and row["width"] == 800
