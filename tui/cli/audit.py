"""`safecity audit`: checking that the record is the record as it was made (docs/audit.md).

- `audit verify` checks a whole stored record: a server's (`--data DIR` or `--database-url`)
  or a laptop's file (`--db`, the default); it names the first bad entry and exits 1.
- `audit prove HAZARD_ID -o FILE` exports a hazard's history with inclusion proofs under the
  latest signed checkpoint, from a server's data.
- `audit verify-proof FILE --key PUBKEY` checks such a file with nothing else: no server, no
  database, only the district's public key (`safecity audit key` prints it).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import click

from schema.errors import DomainError
from tui.cli.main import db_option, db_path, emit, json_option, main, open_db

if TYPE_CHECKING:
    from sync.server.backends.base import ServerDb

EXIT_BROKEN = 1
"""The record (or the proof) is not as it was made."""


@main.group()
def audit() -> None:
    """Check the signed record: the whole log, or one hazard's history as a proof file."""


@contextmanager
def _server_db(data_dir: str | None, database_url: str | None) -> Iterator[ServerDb]:
    """The server's database, opened for reading its record (a missing folder is not made)."""
    from sync.server.backends.base import Backend
    from sync.server.backends.sqlite import DATABASE_FILE, SQLiteBackend

    backend: Backend
    if database_url:
        from sync.server.backends.postgres import PostgresBackend

        if not database_url.startswith(("postgresql://", "postgres://")):
            raise click.UsageError("--database-url must start with postgresql://")
        backend = PostgresBackend(database_url)
    else:
        assert data_dir is not None
        if not (Path(data_dir) / DATABASE_FILE).exists():
            raise DomainError(f"{data_dir} is not a district server's data folder (no {DATABASE_FILE})")
        backend = SQLiteBackend(data_dir)
    try:
        yield backend.db()
    finally:
        backend.close()


def server_target_options(f: click.decorators.FC) -> click.decorators.FC:
    f = click.option("--database-url", metavar="URL", help="A PostgreSQL district server's database.")(f)
    return click.option(
        "--data", "data_dir", type=click.Path(file_okay=False), help="A district server's data folder."
    )(f)


@audit.command("verify")
@server_target_options
@db_option
@json_option
@click.pass_context
def audit_verify(ctx: click.Context, data_dir: str | None, database_url: str | None, as_json: bool) -> int:
    """Check every hash, chain, signature and the tree; name the first bad entry (exit 1)."""
    if data_dir and database_url:
        raise click.UsageError("give --data or --database-url, not both")
    if data_dir or database_url:
        from sync.server.audit import verify

        with _server_db(data_dir, database_url) as db:
            report = verify(db, what="district log" + (f" in {data_dir}" if data_dir else ""))
    else:
        from sync.laptop.audit import verify as verify_laptop

        conn = open_db(ctx)
        try:
            report = verify_laptop(conn)
        finally:
            conn.close()
    emit(report.as_json(), as_json, report.text())
    return 0 if report.ok else EXIT_BROKEN


@audit.command("prove")
@click.argument("hazard_id")
@click.option("-o", "--output", type=click.Path(dir_okay=False), required=True, help="The proof file to write.")
@click.option("--cosigned", is_flag=True, help="Under the latest checkpoint the office co-signed, not the latest one.")
@server_target_options
@json_option
def audit_prove(
    hazard_id: str, output: str, cosigned: bool, data_dir: str | None, database_url: str | None, as_json: bool
) -> None:
    """Export HAZARD_ID's logged history with inclusion proofs and the signed checkpoint."""
    from sync.server.proofs import prove

    if bool(data_dir) == bool(database_url):
        raise click.UsageError("give the server's --data DIR or --database-url")
    with _server_db(data_dir, database_url) as db:
        data = prove(db, hazard_id, cosigned=cosigned)
    target = Path(output)
    partial = target.with_name(target.name + ".part")
    partial.write_bytes(data)
    partial.replace(target)  # a proof is written whole or not at all
    from sync.audit.proof import check

    key = _log_key_of(data)
    proven = check(data, key)
    emit(
        {
            "file": str(target),
            "hazard": hazard_id,
            "events": len(proven.events),
            "size": proven.checkpoint.size,
            "key": key,
        },
        as_json,
        f"wrote {target}: {len(proven.events)} event{'s' * (len(proven.events) != 1)} of hazard {hazard_id},"
        " proven in the district log"
        f" of {proven.checkpoint.size} entries\ncheck it with: safecity audit verify-proof {target} --key '{key}'",
    )


def _key_text(given: str) -> str:
    """A key given on the command line, or the file it is in."""
    return Path(given).read_text().strip() if "+" not in given and Path(given).is_file() else given


def _log_key_of(data: bytes) -> str:
    import orjson

    return str(orjson.loads(data)["log_key"])


@audit.command("verify-proof")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option(
    "--key",
    required=True,
    metavar="PUBKEY",
    help="The district's public log key (NAME+ID+KEY, as 'safecity audit key' prints it), or a file holding it.",
)
@click.option(
    "--cosigner",
    metavar="PUBKEY",
    help="The office's co-signing key (or a file holding it): the checkpoint must carry its signature too.",
)
@json_option
def audit_verify_proof(file: str, key: str, cosigner: str | None, as_json: bool) -> int:
    """Check a proof file on its own: no server, no database (exit 1 when it fails)."""
    from sync.audit.proof import ProofError, check

    path = Path(file)
    if not path.is_file():
        raise DomainError(f"no proof file at {file}")
    key = _key_text(key)
    cosigner = _key_text(cosigner) if cosigner else None
    try:
        proven = check(path.read_bytes(), key, cosigner=cosigner)
    except ProofError as err:
        emit({"ok": False, "problem": str(err)}, as_json, f"the proof does NOT verify: {err}")
        return EXIT_BROKEN
    lines = [
        f"the proof verifies: {len(proven.events)} event{'s' * (len(proven.events) != 1)} of hazard {proven.hazard}"
        " in the district log"
        f" {proven.checkpoint.origin} of {proven.checkpoint.size} entries, signed by the key given"
    ]
    lines += [f"  {event.line()}" for event in proven.events]
    emit(
        {
            "ok": True,
            "hazard": proven.hazard,
            "origin": proven.checkpoint.origin,
            "size": proven.checkpoint.size,
            "events": [{"index": e.index, "event": e.body, "verdict": e.verdict} for e in proven.events],
        },
        as_json,
        "\n".join(lines),
    )
    return 0


@audit.command("keygen")
@click.option("-o", "--output", type=click.Path(dir_okay=False), required=True, help="The private key file to make.")
@click.option("--name", default="safecity-office", show_default=True, help="The key's name in signatures.")
def audit_keygen(output: str, name: str) -> None:
    """Make the office's co-signing key (owner-only file); prints its public half for 'admin cosigner'."""
    from sync.audit import keys

    if Path(output).exists():
        raise DomainError(f"{output} exists already; a key file is never overwritten")
    click.echo(keys.load_or_create(Path(output), name).verifier.text())


@audit.command("cosign")
@click.option(
    "--key", "key_file", type=click.Path(dir_okay=False), required=True, help="The office's co-signing key file."
)
@db_option
@json_option
@click.pass_context
def audit_cosign(ctx: click.Context, key_file: str, as_json: bool) -> None:
    """Co-sign the last checkpoint this office laptop verified (run 'safecity sync' first)."""
    from sync.audit import keys
    from sync.laptop import chain
    from sync.laptop.enrolment import client_for

    conn = open_db(ctx)
    try:
        note = chain.cosign(conn, keys.load_signer(Path(key_file)))
        answer = client_for(conn, db_path(ctx)).request("POST", "/v1/log/cosign", body={"note": note})
    finally:
        conn.close()
    emit(answer, as_json, f"co-signed the district log at {answer['cosigned']} entries")


@audit.command("key")
@server_target_options
@db_option
@click.pass_context
def audit_key(ctx: click.Context, data_dir: str | None, database_url: str | None) -> None:
    """Print the district's public log key (what 'verify-proof --key' takes)."""
    from schema.store.transactions import get_meta

    if data_dir or database_url:
        with _server_db(data_dir, database_url) as db:
            row = db.one("SELECT value FROM meta WHERE key = 'log_key'")
        key = row["value"] if row else None
    else:
        conn = open_db(ctx)
        try:
            key = get_meta(conn, "log_key")
        finally:
            conn.close()
    if not key:
        raise DomainError(
            "no district log key is recorded here yet (the server signs its first checkpoint on its first push)"
        )
    click.echo(key)
