"""`safecity web`: the same terminal app in a browser, for the office on its own network.

Who runs this: the district office, on the laptop that holds its database, so colleagues without
a terminal open the dashboard, the escalations and the assessment in a browser. textual-serve runs
one app process per browser tab (the same `safecity` app, on the same database file: SQLite's WAL
lets them read and write side by side) and streams it over a websocket.

It has no login of its own: whoever reaches the port works as this laptop's user. It listens on
127.0.0.1 unless `--host` says otherwise; on the office network give the laptop's own address and
keep the port behind the office's firewall (docs/deployment.md).
"""

from __future__ import annotations

import shlex
import sys

import click

from schema.errors import DomainError
from tui.cli.main import db_option, db_path, main


@main.command()
@db_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (the office network's).")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True, help="Port to listen on.")
@click.option("--public-url", metavar="URL", help="The address browsers use, if not http://HOST:PORT (a proxy).")
@click.pass_context
def web(ctx: click.Context, host: str, port: int, public_url: str | None) -> None:
    """Serve the terminal app to browsers (one app per tab, on this laptop's database)."""
    from textual_serve.server import Server

    path = db_path(ctx)
    if not path.exists():
        raise DomainError(f"no database at {path}; run 'safecity seed' or 'safecity init' first")
    command = shlex.join([sys.executable, "-m", "tui", "--db", str(path.resolve())])
    click.echo(f"SafeCity in the browser on http://{host}:{port} (database {path.resolve()})", err=True)
    Server(command, host=host, port=port, title="SafeCity", public_url=public_url).serve()
