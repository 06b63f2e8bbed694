"""`safecity serve` and `safecity admin`: the district server and its administration.

Who runs these: the district's IT (a systemd unit, docs/deployment.md) and the demo script. They
are the only commands that load the server's side of sync (`sync.server`); a laptop's commands
never do. Data lives under `--data DIR` (embedded SQLite) or at `--database-url` (PostgreSQL).
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from schema.errors import DomainError

if TYPE_CHECKING:
    from sync.server.store import DistrictStore
from tui.cli.main import Progress, emit, json_option, main, today


def _target(data_dir: str | None, database_url: str | None) -> str:
    """Where the server's data is: exactly one of --data and --database-url."""
    if bool(data_dir) == bool(database_url):
        raise click.UsageError("give either --data DIR (embedded SQLite) or --database-url postgresql://...")
    if database_url and not database_url.startswith(("postgresql://", "postgres://")):
        raise click.UsageError("--database-url must start with postgresql://")
    return database_url or str(data_dir)


def server_options(f: Callable[..., Any]) -> Callable[..., Any]:
    f = click.option(
        "--database-url",
        metavar="URL",
        envvar="SAFECITY_DATABASE_URL",
        help="PostgreSQL instead of --data, e.g. postgresql://user@host/db ($SAFECITY_DATABASE_URL).",
    )(f)
    return click.option(
        "--data", "data_dir", type=click.Path(file_okay=False), help="The server's data folder (embedded SQLite)."
    )(f)


MAX_CONNECTIONS = 200
"""Connections one server process serves at once (a district's laptops sync in seconds each)."""


@main.command()
@server_options
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True, help="Port to listen on.")
@click.option(
    "--trusted-proxy",
    "trusted_proxies",
    metavar="ADDRESSES",
    help="Comma-separated addresses of reverse proxies whose X-Forwarded-For names the client in the"
    " request log (none by default: the log names the connection's own address).",
)
@click.option(
    "--header-timeout",
    type=click.FloatRange(0.1, 600),
    default=10.0,
    show_default=True,
    help="Seconds a connection has to send a request's headers before it is closed.",
)
@click.option(
    "--self-audit",
    "self_audit",
    type=click.FloatRange(0, 7 * 86400),
    default=900.0,
    show_default=True,
    envvar="SAFECITY_SELF_AUDIT",
    help="Seconds between the server's audits of its own stored log (first at start; 0: none)."
    " Every pull reports the last result; laptops alarm when it found the record changed.",
)
def serve(
    data_dir: str | None,
    database_url: str | None,
    host: str,
    port: int,
    trusted_proxies: str | None,
    header_timeout: float,
    self_audit: float,
) -> None:
    """Run the district server (embedded SQLite under --data, or PostgreSQL)."""
    import uvicorn

    from sync.server.app import create_app
    from sync.server.backends.postgres import _redact
    from sync.server.http11 import with_deadline
    from sync.server.store import DistrictStore

    target = _target(data_dir, database_url)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    store = DistrictStore.open(target, serving=True)
    if self_audit:
        store.start_self_audit(self_audit)
    where = _redact(target) if database_url else Path(target).resolve()
    click.echo(f"SafeCity district server on http://{host}:{port} (data in {where})", err=True)
    try:
        uvicorn.run(
            create_app(store),
            host=host,
            port=port,
            log_level="warning",
            access_log=False,
            limit_concurrency=MAX_CONNECTIONS,  # more at once are answered 503, not held open
            timeout_keep_alive=5,
            h11_max_incomplete_event_size=64 * 1024,  # headers larger than this are refused
            proxy_headers=bool(trusted_proxies),  # uvicorn would otherwise trust loopback's X-Forwarded-For
            forwarded_allow_ips=trusted_proxies or "",
            http=with_deadline(header_timeout),  # a client that never finishes its headers is dropped
        )
    finally:
        store.close()


@main.group()
@server_options
@click.pass_context
def admin(ctx: click.Context, data_dir: str | None, database_url: str | None) -> None:
    """Administer the district server's data: demo district, users, tokens, migration."""
    ctx.obj = {**(ctx.obj or {}), "data_dir": data_dir, "database_url": database_url}


def _store(ctx: click.Context) -> DistrictStore:
    """The server's store, opened on first use (so '--help' works without --data)."""
    from sync.server.store import DistrictStore

    obj = ctx.find_object(dict)
    assert obj is not None  # `admin` set it
    if "store" not in obj:
        obj["store"] = DistrictStore.open(_target(obj.get("data_dir"), obj.get("database_url")))
        ctx.find_root().call_on_close(obj["store"].close)
    store: DistrictStore = obj["store"]
    return store


@admin.command("cosigner")
@click.argument("pubkey")
@json_option
@click.pass_context
def admin_cosigner(ctx: click.Context, pubkey: str, as_json: bool) -> None:
    """Name the office's co-signing key (PUBKEY from 'safecity audit keygen'); never replaced."""
    from sync.server.log import set_cosigner

    key = set_cosigner(_store(ctx).db(), pubkey)
    emit({"cosigner": key}, as_json, f"the district log's co-signer is {key}")


@admin.command("seed")
@click.option("--scale", type=click.IntRange(0, 1_000_000), default=3000, show_default=True, help="How many hazards.")
@json_option
@click.pass_context
def admin_seed(ctx: click.Context, scale: int, as_json: bool) -> None:
    """Load the demo district into the server."""
    progress = Progress()
    try:
        counts = _store(ctx).seed(scale=scale, today=today(), progress=progress.show)
    finally:
        progress.done()
    emit(
        {"rows": counts},
        as_json,
        f"seeded the server: {counts.get('hazard', 0):,} hazards, {counts.get('unit', 0):,} units",
    )


@admin.group("user")
def admin_user() -> None:
    """Users: inspectors (their areas), supervisors and admins (the whole district)."""


@admin_user.command("add")
@click.argument("login")
@click.option("--role", type=click.Choice(["inspector", "supervisor", "admin"]), required=True, help="The user's role.")
@click.option("--area", "areas", multiple=True, metavar="CODE", help="A town/zone the user works in (repeatable).")
@json_option
@click.pass_context
def admin_user_add(ctx: click.Context, login: str, role: str, areas: tuple[str, ...], as_json: bool) -> None:
    """Create a user and print a device token for their laptop (shown once)."""
    from sync.server.accounts import add_user

    user = add_user(_store(ctx).db(), login, role, list(areas))
    emit(user, as_json, f"user {login} ({role}); device token (shown once):\n{user['token']}")


@admin_user.command("list")
@json_option
@click.pass_context
def admin_user_list(ctx: click.Context, as_json: bool) -> None:
    """List users with their role, areas and live tokens."""
    from sync.server.accounts import list_users

    users = list_users(_store(ctx).db())
    emit(
        users,
        as_json,
        "\n".join(
            f"{u['login']:<24} {u['role']:<10} {','.join(u['areas']) or '(district)':<30} {u['live_tokens']} token(s)"
            for u in users
        )
        or "no users",
    )


@admin_user.command("areas")
@click.argument("login")
@click.option("--area", "areas", multiple=True, required=True, metavar="CODE", help="The new areas (repeatable).")
@json_option
@click.pass_context
def admin_user_areas(ctx: click.Context, login: str, areas: tuple[str, ...], as_json: bool) -> None:
    """Move a user to other areas; their laptops re-download on the next sync."""
    from sync.server.accounts import set_areas

    new = set_areas(_store(ctx).db(), login, list(areas))
    emit({"login": login, "areas": new}, as_json, f"{login} now works in {', '.join(new)}")


@admin.group("token")
def admin_token() -> None:
    """Device tokens: one per laptop, revocable."""


@admin_token.command("add")
@click.argument("login")
@json_option
@click.pass_context
def admin_token_add(ctx: click.Context, login: str, as_json: bool) -> None:
    """A new device token for another laptop of an existing user."""
    from sync.server.accounts import add_token

    device = add_token(_store(ctx).db(), login)
    emit({"login": login, **device}, as_json, device["token"])


@admin_token.command("revoke")
@click.argument("login")
@json_option
@click.pass_context
def admin_token_revoke(ctx: click.Context, login: str, as_json: bool) -> None:
    """Revoke every token of a user; their laptops get 401 from the next request on."""
    from sync.server.accounts import revoke

    count = revoke(_store(ctx).db(), login)
    if count == 0:
        raise DomainError(f"{login} has no live token")
    emit({"login": login, "revoked": count}, as_json, f"revoked {count} token(s) of {login}")


@admin.command("migrate-to")
@click.option("--database-url", "target_url", required=True, metavar="URL", help="The PostgreSQL database to fill.")
@json_option
@click.pass_context
def admin_migrate_to(ctx: click.Context, target_url: str, as_json: bool) -> None:
    """Copy this district (users, tokens, every record, the sync log) to PostgreSQL and verify it."""
    from sync.server.store import DistrictStore
    from sync.server.transfer import copy_store, holds_a_district, verify

    source = _store(ctx)
    if not target_url.startswith(("postgresql://", "postgres://")):
        raise click.UsageError("--database-url must start with postgresql://")
    target = DistrictStore.open(target_url)
    try:
        if holds_a_district(target.db()):
            raise DomainError("the target database already holds a district; migrate into an empty one")
        copied = copy_store(source.db(), target.db())
        report = verify(source.db(), target.db())
    finally:
        target.close()
    key = _move_district_key(source.key_path, target.key_path)
    emit(
        {"copied": copied, "verified": report, "district_key": str(key) if key else None},
        as_json,
        f"copied {sum(copied.values()):,} rows in {len(copied)} tables; counts and checksums match"
        + (f"; the district's log key is now at {key}" if key else ""),
    )


def _move_district_key(source: Path, target: Path) -> Path | None:
    """The district log's key goes with its log (the PostgreSQL servers sign with it from now on)."""
    if not source.exists():
        return None
    if target.exists() and target.read_text() != source.read_text():
        raise DomainError(f"{target} holds another district key; move it away and migrate again")
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(source.read_text())
    return target
