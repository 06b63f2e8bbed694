"""The `safecity` command: the entry point, the shared options, and one place for errors.

Who calls this: the `safecity` console script. Subcommands live beside it, one module per
concern (`cli_hazard`, `cli_sync`, `cli_admin`); they register themselves on `main`.

Conventions every command follows (docs/cli.md is the contract):
- `--db FILE` is accepted before or after the command name; else `SAFECITY_DB`; else the
  per-user default under `$XDG_DATA_HOME/safecity/`.
- `--json` prints one JSON document on stdout; without it, text for a person.
- A refusal prints one line `error: ...` on stderr and exits 1 (2 for a malformed command
  line); nothing is half-written, because every change is one transaction.
"""

from __future__ import annotations

import gc
import importlib
import json
import os
import sqlite3
import sys
from datetime import date
from pathlib import Path
from typing import Any

import click

from schema.calendar import local_today
from schema.errors import DomainError
from schema.store.connection import connect

EXIT_REFUSED = 1
EXIT_USAGE = 2
EXIT_UNREACHABLE = 3


def default_db() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "safecity" / "safecity.db"


def today() -> date:
    """Today's date; `SAFECITY_TODAY` (YYYY-MM-DD) pins it for demos and tests."""
    return local_today()


def _remember_db(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    if value is not None:
        ctx.ensure_object(dict)["db"] = value
        root = ctx.find_root()
        root.ensure_object(dict)["db"] = value


def db_option(f: Any) -> Any:
    """`--db FILE`, accepted on the group and on every command."""
    return click.option(
        "--db",
        "db",
        metavar="FILE",
        expose_value=False,
        callback=_remember_db,
        is_eager=True,
        help="The laptop's local database file (else $SAFECITY_DB).",
    )(f)


def json_option(f: Any) -> Any:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON (see docs/cli.md).")(f)


def db_path(ctx: click.Context) -> Path:
    root = ctx.find_root().obj or {}
    chosen = root.get("db") or os.environ.get("SAFECITY_DB")
    return Path(chosen) if chosen else default_db()


def open_db(ctx: click.Context, *, create: bool = False) -> sqlite3.Connection:
    """The local database; a missing file is an error unless the command creates one."""
    path = db_path(ctx)
    if not path.exists():
        if not create:
            raise DomainError(f"no database at {path}; run 'safecity seed' or 'safecity init' first")
        path.parent.mkdir(parents=True, exist_ok=True)
    return connect(path)


def emit(value: Any, as_json: bool, text: str | None = None) -> None:
    """Print `value` as JSON, or `text` (default: the value as lines) for a person."""
    if as_json:
        click.echo(json.dumps(value, ensure_ascii=False, indent=2, default=str))
    elif text is not None:
        click.echo(text)


class Progress:
    """One line on stderr, redrawn in place, for long work (an initial pull, a large sync); nothing
    at all when stderr is not a terminal, so scripts and `--json` output stay clean."""

    def __init__(self, stream: Any = None, *, enabled: bool | None = None):
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.drawn = False

    def show(self, text: str) -> None:
        if self.enabled:
            self.stream.write(f"\r{text}\x1b[K")
            self.stream.flush()
            self.drawn = True

    def sync(self, summary: Any) -> None:
        """The `progress` hook of the sync client: what has gone out and come in so far."""
        self.show(f"sent {summary.pushed:,}, received {summary.pulled:,} rows ...")

    def bar(self, done: int, total: int, what: str) -> None:
        """A progress bar for bytes: `photos: sent [#####.....] 12.0 of 24.0 MB`."""
        width = 24
        filled = width * done // total if total else width
        self.show(f"{what} [{'#' * filled}{'.' * (width - filled)}] {done / 2**20:,.1f} of {total / 2**20:,.1f} MB")

    def done(self) -> None:
        if self.drawn:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self.drawn = False


COMMAND_MODULES = {
    "hazard": "tui.cli.hazard",
    "unit": "tui.cli.hazard",
    "task": "tui.cli.hazard",
    "inspection": "tui.cli.inspection",
    "order": "tui.cli.office",
    "extension": "tui.cli.office",
    "escalation": "tui.cli.office",
    "listing": "tui.cli.office",
    "lookback": "tui.cli.office",
    "report": "tui.cli.report",
    "assessment": "tui.cli.report",
    "import": "tui.cli.report",
    "init": "tui.cli.sync",
    "sync": "tui.cli.sync",
    "status": "tui.cli.sync",
    "conflicts": "tui.cli.sync",
    "serve": "tui.cli.server",
    "web": "tui.cli.web",
    "admin": "tui.cli.server",
    "attach": "tui.cli.attach",
    "attachment": "tui.cli.attach",
    "setting": "tui.cli.attach",
    "audit": "tui.cli.audit",
}
"""Command -> the module that defines it (and registers it on `main` when imported). A command
imports only its own module: a sync does not load the office's reports (a test checks that
this table names every command)."""


class SafeCityGroup(click.Group):
    """Turns every refusal into one clear line and an exit code, never a traceback; loads a
    command's module when the command is used (`COMMAND_MODULES`)."""

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMAND_MODULES:
            importlib.import_module(COMMAND_MODULES[cmd_name])
        return super().get_command(ctx, cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        register()
        return super().list_commands(ctx)

    def main(self, *args: Any, **kwargs: Any) -> Any:
        kwargs["standalone_mode"] = False
        # A sync moves hundreds of thousands of short-lived rows and dicts, none of them in
        # cycles; the collector's default (a pass every 700 allocations) spent 7-15% of a
        # 100,000-hazard push looking for cycles that are not there (server and laptop alike).
        gc.set_threshold(50_000, 20, 20)
        try:
            result = super().main(*args, **kwargs)
        except click.exceptions.Exit as done:
            sys.exit(done.exit_code)
        except click.UsageError as err:
            where = (
                f"safecity {err.ctx.command_path.split(' ', 1)[1]} "
                if err.ctx and " " in err.ctx.command_path
                else "safecity "
            )
            click.echo(f"error: {err.format_message()} (see '{where.strip()} --help')", err=True)
            sys.exit(EXIT_USAGE)
        except click.ClickException as err:
            click.echo(f"error: {err.format_message()}", err=True)
            sys.exit(err.exit_code)
        except click.Abort:
            click.echo("error: aborted", err=True)
            sys.exit(EXIT_REFUSED)
        except DomainError as err:
            flags = " or ".join(f"--{name.replace('_', '-')}" for name in err.fields)
            click.echo(f"error: {err}" + (f" ({flags})" if flags else ""), err=True)
            sys.exit(getattr(err, "exit_code", EXIT_REFUSED))
        except sqlite3.Error as err:
            click.echo(f"error: the database could not be used: {err}", err=True)
            sys.exit(EXIT_REFUSED)
        except OSError as err:  # a file to write into a missing folder, a full disk, no permission
            where = f" {err.filename}" if err.filename else ""
            click.echo(f"error: cannot use{where}: {err.strerror or err}", err=True)
            sys.exit(EXIT_REFUSED)
        except KeyboardInterrupt:
            click.echo("error: interrupted; nothing half-written was kept", err=True)
            sys.exit(130)
        if isinstance(result, int) and result:
            sys.exit(result)
        return result


@click.group(cls=SafeCityGroup, invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@db_option
@click.version_option(package_name="safecity", message="safecity %(version)s")
@click.pass_context
def main(ctx: click.Context) -> None:
    """SafeCity: urban-safety inspections, hazards and their rectification, offline first.

    With no command, opens the terminal app on the local database.
    """
    ctx.ensure_object(dict)
    if ctx.invoked_subcommand is None:
        from tui.launch import run_app

        run_app(db_path(ctx))


@main.command()
@db_option
@click.option(
    "--scale", type=click.IntRange(0, 1_000_000), default=3000, show_default=True, help="How many hazards to generate."
)
@json_option
@click.pass_context
def seed(ctx: click.Context, scale: int, as_json: bool) -> None:
    """Fill a new standalone database with the demo district (Binhai New Area)."""
    from schema.demo.district import seed as seed_district

    path = db_path(ctx)
    conn = open_db(ctx, create=True)
    progress = Progress()
    try:
        counts = seed_district(conn, scale=scale, today=today(), progress=progress.show)
    finally:
        progress.done()
    emit(
        {"db": str(path), "rows": counts},
        as_json,
        f"seeded {path}: {counts.get('hazard', 0):,} hazards, {counts.get('unit', 0):,} units, "
        f"{counts.get('area', 0)} areas",
    )


def register() -> None:
    """Attach every command module (kept apart so each stays readable in one sitting)."""
    for module in sorted(set(COMMAND_MODULES.values())):
        importlib.import_module(module)
