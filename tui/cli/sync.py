"""`safecity init/sync/status/conflicts`: the laptop's side of sync.

The district server's commands (`serve`, `admin`) live in `tui.cli.server`.

Sync failures are one line: an unreachable server exits 3 and says the pending edits are
kept; a server refusal (bad token, old client) exits 1 with the server's words.
"""

from __future__ import annotations

import time
from typing import TextIO
from urllib.parse import urlsplit

import click

from sync.laptop import enrolment as laptop
from sync.laptop.client import ServerUnreachable
from sync.laptop.conflicts import list_conflicts, resolve
from tui import config
from tui.cli.main import Progress, db_option, db_path, emit, json_option, main, open_db

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def plain_http_warning(url: str) -> str | None:
    """A token and the district's data sent in clear to another machine deserve a word."""
    parts = urlsplit(url)
    if parts.scheme == "http" and (parts.hostname or "") not in LOOPBACK:
        return (
            f"{parts.hostname} is reached over plain http: the token and the district's data travel"
            " unencrypted; use https:// outside a trusted office network"
        )
    return None


@main.command()
@db_option
@click.option("--server", "url", required=True, metavar="URL", help="The district server, e.g. http://127.0.0.1:8765.")
@click.option(
    "--token",
    envvar="SAFECITY_TOKEN",
    help="This laptop's device token (from 'safecity admin user add'); better in SAFECITY_TOKEN or"
    " --token-file, which neither `ps` nor the shell history shows.",
)
@click.option(
    "--token-file",
    type=click.File("r"),
    help="Read the token from this file ('-' for standard input).",
)
@click.option("--insecure", is_flag=True, help="Allow plain http:// to a machine other than this one.")
@json_option
@click.pass_context
def init(
    ctx: click.Context, url: str, token: str | None, token_file: TextIO | None, insecure: bool, as_json: bool
) -> None:
    """Enroll this laptop with the district server and download its areas."""
    if token_file is not None:
        token = token_file.read().strip()
    if not token:
        raise click.UsageError("give the device token: SAFECITY_TOKEN=..., --token-file FILE, or --token TOKEN")
    warning = plain_http_warning(url)
    if warning and not insecure:
        raise click.UsageError(f"{warning} (--insecure allows it)")
    if warning:
        click.echo(f"warning: {warning}", err=True)
    path = db_path(ctx)
    conn = open_db(ctx, create=True)
    progress = Progress()
    try:
        me, summary = laptop.enroll(conn, path, url, token, progress=progress.sync)
    finally:
        progress.done()
    emit(
        {**me, "pulled": summary.pulled, "db": str(path)},
        as_json,
        f"enrolled {path} as {me['login']} ({me['role']}, areas: {', '.join(me['areas'] or ['whole district'])}); "
        f"pulled {summary.pulled:,} rows",
    )


@main.command("sync")
@db_option
@click.option(
    "--every",
    type=click.FloatRange(min=1),
    metavar="SECONDS",
    help="Keep syncing at this interval until interrupted (survives the server being away).",
)
@json_option
@click.pass_context
def sync_command(ctx: click.Context, every: float | None, as_json: bool) -> None:
    """Push local changes and pull the office's, once (or every SECONDS)."""
    path = db_path(ctx)
    conn = open_db(ctx)
    progress = Progress()
    photos = config.load().photos
    client = laptop.client_for(
        conn,
        path,
        progress=progress.sync,
        fetch_full=photos.fetch_full,
        file_progress=lambda what, done, total: progress.bar(done, total, what),
    )
    while True:
        try:
            try:
                summary = client.sync()
            finally:
                progress.done()
        except ServerUnreachable as err:
            if every is None:
                raise ServerUnreachable(f"{err}; {laptop.status(conn)['pending']} change(s) kept, not sent") from None
            click.echo(f"offline: {err}; retrying in {every:g}s", err=True)
        else:
            result = summary.as_dict()
            rejected = laptop.rejected_ops(conn) if summary.rejected else []
            text = (
                f"pushed {summary.pushed}, pulled {summary.pulled}, conflicts {summary.conflicts}, "
                f"rejected {summary.rejected}"
            )
            if summary.skew_ms:
                text += f" (this laptop's clock is {summary.skew_ms / 1000:.0f}s ahead of the server)"
            if summary.moved_out:
                text += f"; {summary.moved_out} record(s) left your areas (the office moved their unit) and were removed here"
            if summary.files_sent or summary.files_received:
                text += (
                    f"; files sent {summary.files_sent} ({summary.bytes_sent / 2**20:,.1f} MB),"
                    f" received {summary.files_received} ({summary.bytes_received / 2**20:,.1f} MB)"
                )
            if summary.files_error or summary.files_waiting:
                text += (
                    f"\nphotos: {summary.files_waiting} file(s) could not move now"
                    f"{': ' + summary.files_error if summary.files_error else ''}; the next sync tries again (nothing is lost)"
                )
            for op in rejected[-summary.rejected :]:
                text += f"\nrejected: {op['table_name']} {op['row_id']} ({op['action']}): {op['reason']}"
            emit(result, as_json, text)
        if every is None:
            return
        try:
            time.sleep(every)
        except KeyboardInterrupt:
            return


@main.command()
@db_option
@json_option
@click.pass_context
def status(ctx: click.Context, as_json: bool) -> None:
    """Pending changes, last sync, open conflicts and rejected changes."""
    conn = open_db(ctx)
    state = laptop.status(conn)
    state["rejected_changes"] = laptop.rejected_ops(conn)
    text = (
        f"server {state['server'] or '(not enrolled)'} as {state['login'] or '-'}\n"
        f"pending {state['pending']}, last sync {state['last_sync'] or 'never'}, "
        f"conflicts {state['conflicts']}, rejected {state['rejected']}"
    )
    for op in state["rejected_changes"]:
        text += f"\nrejected: {op['table_name']} {op['row_id']} ({op['action']}): {op['reason']}"
    if state["log_alarm"]:  # first, where nobody can miss it
        text = f"ALARM: the district server's record was rewritten ({state['log_alarm']}); this laptop keeps its own copy\n{text}"
    emit(state, as_json, text)


@main.group(invoke_without_command=True)
@db_option
@click.option("--all", "include_resolved", is_flag=True, help="Include resolved conflicts.")
@json_option
@click.pass_context
def conflicts(ctx: click.Context, include_resolved: bool, as_json: bool) -> None:
    """List concurrent edits kept for a person to resolve (base / mine / theirs)."""
    if ctx.invoked_subcommand is not None:
        return
    rows = list_conflicts(open_db(ctx), include_resolved=include_resolved)
    lines = [
        f"{c['id']}  {c['table']} {c['record']} {c['field']}: base {c['base']!r}, mine {c['mine']!r} "
        f"({c['mine_by']}), theirs {c['theirs']!r} ({c['theirs_by']}) [{c['status']}]"
        for c in rows
    ]
    emit(rows, as_json, "\n".join(lines + [f"{len(rows)} conflict(s)"]))


@conflicts.command("resolve")
@db_option
@click.argument("conflict_id")
@click.option("--keep", type=click.Choice(["mine", "theirs"]), required=True, help="Which value to keep.")
@click.option("--reason", help="Why (kept in the history).")
@json_option
@click.pass_context
def conflicts_resolve(ctx: click.Context, conflict_id: str, keep: str, reason: str | None, as_json: bool) -> None:
    """Resolve a conflict; the resolution goes out with the next sync."""
    from schema.writes import Writer, local_actor

    conn = open_db(ctx)
    result = resolve(Writer(conn, local_actor(conn)), conflict_id, keep, reason)
    emit(
        result,
        as_json,
        f"kept {keep} ({result[keep]!r}) for {result['table']} {result['record']} "
        f"{result['field']}; it syncs with the next 'safecity sync'",
    )
