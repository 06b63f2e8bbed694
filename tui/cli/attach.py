"""`safecity attach|attachment|setting ...`: evidence on the record, and the district's settings.

Attaching works offline: the file is checked and made to fit at once (`schema.attachments`), its
bytes go into the store beside the database, its row and outbox entry are written together.
`attachment get` copies a file out, fetching it from the district server first when this
laptop holds only its thumbnail.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import click

from schema.attachments import OWNER_WORDS, attach, attachment, attachments_of, owner_of
from schema.errors import DomainError
from schema.evidence import ROLES
from schema.settings import district_settings, set_setting
from schema.store.files import FolderStore, files_beside
from schema.writes import Writer, local_actor
from tui import config
from tui.cli.main import Progress, db_option, db_path, emit, json_option, main, open_db


def _store(conn: Any) -> FolderStore:
    store = files_beside(conn)
    if store is None:
        raise DomainError("attachments need a database file (not one in memory)")
    return store


def _line(a: dict[str, Any]) -> str:
    size = f"{a['size'] / 2**20:.1f} MB" if a["size"] >= 2**20 else f"{a['size'] / 1024:.0f} KB"
    shape = f" {a['width']}x{a['height']}" if a["width"] else ""
    held = "here" if a["here"] else ("thumbnail here" if a["thumb_here"] else "on the server")
    return (
        f"{a['id']}  {a['role']:<14} {a['original_name'] or '-'}  {a['media_type']}{shape} {size}"
        f"  sha256 {a['sha256'][:12]}  by {a['captured_by'] or '-'} {a['captured_at'] or ''}  [{held}]"
    )


@main.command("attach")
@click.argument("owner_id")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--role", type=click.Choice(ROLES), required=True, help="What the files show.")
@db_option
@json_option
@click.pass_context
def attach_command(ctx: click.Context, owner_id: str, files: tuple[Path, ...], role: str, as_json: bool) -> None:
    """Attach photos or PDF documents to a hazard, progress note, verification, inspection item,
    rectification order or look-back item (all of them, or none if one cannot be attached)."""
    conn = open_db(ctx)
    store = _store(conn)
    settings = config.load().photos.attach_settings()
    ids = attach(Writer(conn, local_actor(conn)), store, owner_id, list(files), role, settings)
    made = [attachment(conn, i, store) for i in ids]
    table, _row = owner_of(conn, owner_id)
    emit(
        made,
        as_json,
        f"attached {len(made)} file(s) to {OWNER_WORDS[table]} {owner_id} as {role}:\n"
        + "\n".join(_line(a) for a in made),
    )


@main.group("attachment")
@db_option
def attachment_group() -> None:
    """The evidence attached to records."""


@attachment_group.command("list")
@click.argument("owner_id")
@db_option
@json_option
@click.pass_context
def attachment_list(ctx: click.Context, owner_id: str, as_json: bool) -> None:
    """A record's attachments (for a hazard, those of its progress notes and verifications too)."""
    conn = open_db(ctx)
    owner_of(conn, owner_id)
    found = attachments_of(conn, owner_id, files_beside(conn))
    emit(found, as_json, "\n".join(_line(a) for a in found) or "no attachments")


@attachment_group.command("get")
@click.argument("attachment_id")
@click.option(
    "-o", "--output", "output", type=click.Path(path_type=Path), required=True, help="Where to write the file."
)
@click.option("--thumbnail", is_flag=True, help="The thumbnail instead of the full file.")
@db_option
@json_option
@click.pass_context
def attachment_get(ctx: click.Context, attachment_id: str, output: Path, thumbnail: bool, as_json: bool) -> None:
    """Copy an attachment's file out, fetching it from the district server if it is not here."""
    conn = open_db(ctx)
    store = _store(conn)
    a = attachment(conn, attachment_id, store)
    sha256, size = (a["thumb_sha256"], a["thumb_size"]) if thumbnail else (a["sha256"], a["size"])
    if sha256 is None:
        raise DomainError("this attachment has no thumbnail (it is not a photo)")
    fetched = False
    if not store.has(sha256):
        from sync.laptop.enrolment import client_for

        progress = Progress()
        client = client_for(conn, db_path(ctx), file_progress=lambda what, done, total: progress.bar(done, total, what))
        try:
            path = client.file_sync().fetch(sha256, size)
        finally:
            progress.done()
        if path is None:
            raise DomainError("the server does not have this file yet: the laptop that took it has not synced it")
        fetched = True
    if output.is_dir():
        output = output / (a["original_name"] or f"{attachment_id}{a['extension']}")
    try:
        shutil.copyfile(store.path(sha256), output)
    except OSError as err:
        raise DomainError(f"cannot write {output}: {err.strerror or err}") from None
    emit(
        {"path": str(output), "sha256": sha256, "size": size, "fetched": fetched},
        as_json,
        f"wrote {output} ({size:,} bytes, sha256 {sha256[:12]}{', fetched from the server' if fetched else ''})",
    )


@main.group("setting")
@db_option
def setting_group() -> None:
    """The district's settings, which the office sets and every laptop pulls."""


@setting_group.command("show")
@db_option
@json_option
@click.pass_context
def setting_show(ctx: click.Context, as_json: bool) -> None:
    """Every district setting, its value here and what it means."""
    found = district_settings(open_db(ctx))
    emit(found, as_json, "\n".join(f"{k} = {v['value']}  ({v['means']})" for k, v in found.items()))


@setting_group.command("set")
@click.argument("key")
@click.argument("value", type=click.Choice(("on", "off")))
@db_option
@json_option
@click.pass_context
def setting_set(ctx: click.Context, key: str, value: str, as_json: bool) -> None:
    """Set a district setting (the office only; it reaches every laptop with the next sync)."""
    conn = open_db(ctx)
    changed = set_setting(Writer(conn, local_actor(conn)), key, value)
    emit(
        {"key": key, "value": value, "changed": changed}, as_json, f"{key} = {value}{'' if changed else ' (unchanged)'}"
    )
