"""docs/cli.md is the CLI's contract: a test fails when a command or an option is missing from it
(sqlite-utils' `test_docs.py` is the model). Options every command shares (`--db`, `--json`,
`--help`) are documented once, at the top."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from tui.cli.main import main, register

DOC = (Path(__file__).resolve().parents[2] / "docs" / "cli.md").read_text()
SHARED = {"--db", "--json", "--help", "-h", "--version"}


def leaf_commands(group: click.Group, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            if command.invoke_without_command:  # `conflicts` lists on its own and groups `resolve`
                yield (*path, name), command
            yield from leaf_commands(command, (*path, name))
        else:
            yield (*path, name), command


register()
COMMANDS = list(leaf_commands(main))


def sections(words: tuple[str, ...]) -> list[str]:
    """The doc's text about a command: each line naming it (`hazard add`, or `user add` in the admin
    table). A table row stands alone; a heading takes what follows it up to the next heading (its
    tables too); a paragraph line takes what follows up to the next heading or table."""
    phrase = " ".join(words[-2:])
    lines = DOC.splitlines()
    found = []
    for n, line in enumerate(lines):
        if f"`{phrase}" in line or f"safecity {' '.join(words)}" in line:
            body = [line]
            for following in lines[n + 1 :]:
                if (
                    line.startswith("|")
                    or following.startswith("#")
                    or (following.startswith("|") and not line.startswith("#"))
                ):
                    break
                body.append(following)
            found.append("\n".join(body))
    return found


@pytest.mark.parametrize(("words", "command"), COMMANDS, ids=[" ".join(w) for w, _ in COMMANDS])
def test_every_command_and_option_is_in_the_cli_doc(words, command):
    text = sections(words)
    assert text, f"docs/cli.md does not mention 'safecity {' '.join(words)}'"
    options = {o for p in command.params if isinstance(p, click.Option) for o in p.opts if o.startswith("--")}
    missing = sorted(o for o in options - SHARED if not any(o in section for section in text))
    assert missing == [], f"docs/cli.md does not document {missing} of 'safecity {' '.join(words)}'"


def test_the_doc_check_sees_the_commands():
    names = {" ".join(w) for w, _ in COMMANDS}
    assert {"hazard add", "inspection start", "admin user add", "serve"} <= names
