"""The `safecity` CLI: its JSON contract, --db handling, help text, and every bad input."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from tui.cli.main import COMMAND_MODULES, main, register

HAZARD_KEYS = {"id", "unit_id", "area", "description", "grade", "status", "deadline", "rectifier", "overdue"}


def run(*args: str, ok: bool = True):
    result = CliRunner().invoke(main, list(args))
    if ok:
        assert result.exit_code == 0, result.output + result.stderr
    return result


def data(*args: str):
    return json.loads(run(*args, "--json").stdout)


register()  # every command module, so the tests below see every command


def test_every_command_is_found_where_its_module_is_named():
    assert set(main.commands) - {"seed"} == set(COMMAND_MODULES)
    for name, module in COMMAND_MODULES.items():
        assert main.commands[name].callback.__module__ == module


def test_a_command_loads_only_its_own_module():
    probe = (
        "import sys; from tui.cli.main import main; main.get_command(None, 'sync');"
        " print(sorted(m for m in sys.modules if m.startswith(('tui.cli.', 'sync.server')) and m != 'tui.cli.main'))"
    )
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "['tui.cli.sync']"  # neither the office's commands nor the server's code


def all_commands(group: click.Group = main, prefix: tuple[str, ...] = ()):
    for name, command in group.commands.items():
        yield prefix + (name,), command
        if isinstance(command, click.Group):
            yield from all_commands(command, prefix + (name,))


@pytest.mark.parametrize(("path", "command"), [pytest.param(p, c, id=" ".join(p)) for p, c in all_commands()])
def test_every_command_and_option_has_help(path, command):
    assert command.help and command.help.strip(), f"safecity {' '.join(path)} has no help text"
    for param in command.params:
        if isinstance(param, click.Option) and param.name not in ("help",):
            assert param.help, f"safecity {' '.join(path)} {param.opts[0]} has no help text"
    result = run(*path, "--help")
    assert "Usage:" in result.stdout


def test_db_option_before_or_after_the_command(district_path):
    before = data("--db", str(district_path), "unit", "list", "--limit", "2")
    after = data("unit", "list", "--limit", "2", "--db", str(district_path))
    assert before == after and len(before) == 2


def test_db_from_the_environment(district_path, monkeypatch):
    monkeypatch.setenv("SAFECITY_DB", str(district_path))
    assert len(data("unit", "list", "--limit", "3")) == 3


def test_seed_makes_a_demo_district(tmp_path):
    path = tmp_path / "demo.db"
    out = data("--db", str(path), "seed", "--scale", "200")
    assert out["rows"]["hazard"] == 200 and out["rows"]["area"] == 85
    areas = {h["area"] for h in data("--db", str(path), "hazard", "list")}
    assert {"xinhe", "chadian", "bonded-zone"} <= areas


def test_seed_is_deterministic(tmp_path):
    for name in ("a.db", "b.db"):
        run("--db", str(tmp_path / name), "seed", "--scale", "50")
    a = data("--db", str(tmp_path / "a.db"), "hazard", "list")
    b = data("--db", str(tmp_path / "b.db"), "hazard", "list")
    assert a == b


def test_seed_covers_every_status_overdue_and_major(district_path):
    hazards = data("--db", str(district_path), "hazard", "list")
    assert {h["status"] for h in hazards} == {"reported", "rectifying", "awaiting_verification", "closed", "void"}
    assert any(h["overdue"] for h in hazards) and any(h["grade"] == "major" for h in hazards)
    assert HAZARD_KEYS <= set(hazards[0])


def test_a_hazard_from_report_to_closure(district_path, unit_id):
    db = ("--db", str(district_path))
    h = data(*db, "hazard", "add", "--unit", unit_id, "--description", "消防通道堵塞", "--location", "北门")
    assert HAZARD_KEYS <= set(h) and h["status"] == "reported" and h["area"] == "xinhe"
    data(*db, "hazard", "edit", h["id"], "--rectifier", "王伟")
    data(*db, "hazard", "act", h["id"], "order", "--deadline", "2026-12-15")
    data(*db, "hazard", "act", h["id"], "submit", "--note", "通道已清理")
    closed = data(*db, "hazard", "act", h["id"], "pass", "--opinion", "复查合格")
    assert closed["status"] == "closed" and closed["rectifier"] == "王伟"
    shown = data(*db, "hazard", "show", h["id"])
    assert [e["action"] for e in shown["history"]] == ["create", "update", "order", "submit", "pass"]
    assert shown["verifications"][0]["opinion"] == "复查合格"


def test_list_filters(district_path):
    db = ("--db", str(district_path))
    overdue = data(*db, "hazard", "list", "--overdue", "--area", "xinhe")
    assert overdue and all(h["overdue"] and h["area"] == "xinhe" for h in overdue)
    days = [h["days_overdue"] for h in overdue]
    assert days == sorted(days, reverse=True) or overdue[0]["grade"] == "major"
    found = data(*db, "hazard", "list", "--search", "消防")
    assert found and all("消防" in h["description"] for h in found)
    assert all(h["status"] == "closed" for h in data(*db, "hazard", "list", "--status", "closed"))


def test_urgency_order_puts_overdue_first(district_path):
    hazards = data("--db", str(district_path), "hazard", "list", "--status", "open")
    flags = [h["overdue"] for h in hazards]
    assert flags == sorted(flags, reverse=True)


def test_unit_and_task_lists(district_path):
    db = ("--db", str(district_path))
    units = data(*db, "unit", "list", "--area", "chadian")
    assert units and all(u["area"] == "chadian" for u in units)
    tasks = data(*db, "task", "list", "--limit", "5")
    assert len(tasks) == 5 and {"id", "unit_id", "due_on", "status", "assignees"} <= set(tasks[0])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["hazard", "show", "no-such-id"], "no hazard with id no-such-id", id="unknown-hazard"),
        pytest.param(
            ["hazard", "add", "--unit", "nope", "--description", "x"], "no unit with id nope", id="unknown-unit"
        ),
        pytest.param(["hazard", "list", "--area", "atlantis"], "no area called 'atlantis'", id="unknown-area"),
        pytest.param(
            ["hazard", "add", "--unit", "{unit}", "--description", "x", "--deadline", "2026-02-30"],
            "deadline must be a date written YYYY-MM-DD; got '2026-02-30'",
            id="bad-date",
        ),
        pytest.param(
            ["hazard", "act", "{hazard}", "pass", "--opinion", "ok"],
            "cannot pass a hazard that is reported",
            id="illegal-transition",
        ),
        pytest.param(
            ["hazard", "act", "{hazard}", "void"],
            r"to void a hazard, give the reason (--reason)",
            id="missing-action-field",
        ),
        pytest.param(["hazard", "add", "--unit", "{unit}"], "Missing option '--description'", id="missing-option"),
        pytest.param(
            ["hazard", "add", "--unit", "{unit}", "--description", "  "],
            "a hazard needs a description",
            id="blank-description",
        ),
        pytest.param(["hazard", "edit", "{hazard}"], "nothing to change", id="empty-edit"),
        pytest.param(["hazard", "act", "{hazard}", "close"], "'close' is not one of", id="unknown-action"),
        pytest.param(["hazard", "list", "--grade", "huge"], "'huge' is not one of 'general', 'major'", id="bad-choice"),
    ],
)
def test_bad_input_is_one_clear_line_and_nothing_changes(district_path, unit_id, args, message):
    db = ("--db", str(district_path))
    hazard = data(*db, "hazard", "add", "--unit", unit_id, "--description", "x")
    before = data(*db, "hazard", "show", hazard["id"])
    args = [a.replace("{unit}", unit_id).replace("{hazard}", hazard["id"]) for a in args]
    result = run(*db, *args, ok=False)
    assert result.exit_code in (1, 2)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], result.stderr
    assert "Traceback" not in result.output
    assert data(*db, "hazard", "show", hazard["id"]) == before


@pytest.mark.parametrize(
    ("make", "message"),
    [
        pytest.param(lambda p: p.write_text("not a database" * 100), "cannot open", id="not-sqlite"),
        pytest.param(lambda p: p.mkdir(), "is a directory", id="directory"),
        pytest.param(lambda p: None, "no database at", id="missing"),
    ],
)
def test_unreadable_database(tmp_path, make, message):
    path = tmp_path / "laptop.db"
    make(path)
    result = run("--db", str(path), "hazard", "list", ok=False)
    assert result.exit_code == 1 and message in result.stderr and "Traceback" not in result.output


def test_the_console_script_runs(district_path):
    exe = shutil.which("safecity", path=str(Path(sys.executable).parent)) or "safecity"
    env = {**os.environ, "SAFECITY_DB": str(district_path)}
    out = subprocess.run(
        [exe, "hazard", "list", "--overdue", "--area", "xinhe", "--json"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    assert all(h["overdue"] for h in json.loads(out.stdout))
    bad = subprocess.run([exe, "hazard", "show", "missing"], capture_output=True, text=True, env=env)
    assert bad.returncode == 1 and bad.stderr == "error: no hazard with id missing\n"


def test_an_inspection_is_run_end_to_end_from_the_cli(district_path):
    db = ("--db", str(district_path))
    unit = data("unit", "list", "--area", "xinhe", "--limit", "1", *db)[0]
    started = data("inspection", "start", unit["id"], *db)
    codes = [item["code"] for item in started["checklist"]]
    run("inspection", "record", started["id"], codes[0].lower(), "fail", "--note", "exit blocked", *db)
    raised = data("inspection", "raise", started["id"], codes[0], *db)
    refused = run("inspection", "finish", started["id"], *db, ok=False)
    assert refused.exit_code == 1 and "have no result yet" in refused.stderr
    for code in codes[1:]:
        run("inspection", "record", started["id"], code, "pass", *db)
    finished = data("inspection", "finish", started["id"], "--summary", "one failure", *db)
    assert (finished["status"], finished["done"], finished["failed"]) == ("finished", len(codes), 1)
    assert finished["hazards"] == [raised["hazard_id"]]
    assert data("hazard", "show", raised["hazard_id"], *db)["unit_id"] == unit["id"]
    listed = data("inspection", "list", "--status", "finished", "--unit", unit["id"], *db)
    assert [i["id"] for i in listed] == [started["id"]]


def test_progress_is_one_line_redrawn_on_a_terminal_and_nothing_elsewhere():
    import io

    from sync.laptop.client import SyncSummary
    from tui.cli.main import Progress

    shown = io.StringIO()
    progress = Progress(shown, enabled=True)
    progress.sync(SyncSummary(pushed=2000))
    progress.sync(SyncSummary(pushed=4000, pulled=10000))
    progress.done()
    assert shown.getvalue().count("\r") == 3 and "sent 4,000, received 10,000 rows" in shown.getvalue()
    quiet = io.StringIO()  # not a terminal: a script, or --json
    Progress(quiet).sync(SyncSummary(pushed=1))
    assert quiet.getvalue() == ""


def test_seed_shows_how_far_it_has_come_on_a_terminal(tmp_path, monkeypatch):
    from tui.cli import main as cli_main

    opened = cli_main.Progress.__init__
    monkeypatch.setattr(
        cli_main.Progress, "__init__", lambda self, stream=None, enabled=None: opened(self, stream, enabled=True)
    )
    result = run("seed", "--db", str(tmp_path / "d.db"), "--scale", "20000")
    assert "generating hazards: 10,000 of 20,000" in result.stderr
    assert "writing hazard: 20,000 rows" in result.stderr
    assert result.stderr.endswith("\r\x1b[K")  # the line is cleared before the result is printed


def test_init_takes_the_token_from_the_environment_or_a_file_and_asks_when_there_is_none(tmp_path, monkeypatch):
    monkeypatch.delenv("SAFECITY_TOKEN", raising=False)
    db = str(tmp_path / "laptop.db")
    missing = run("--db", db, "init", "--server", "http://127.0.0.1:9", ok=False)
    assert missing.exit_code == 2 and "SAFECITY_TOKEN" in missing.output
    secret = tmp_path / "token"
    secret.write_text("not-a-real-token\n")
    from_file = run("--db", db, "init", "--server", "http://127.0.0.1:9", "--token-file", str(secret), ok=False)
    assert from_file.exit_code != 0 and "cannot reach" in from_file.output and "Traceback" not in from_file.output
    monkeypatch.setenv("SAFECITY_TOKEN", "not-a-real-token")
    from_env = run("--db", db, "init", "--server", "http://127.0.0.1:9", ok=False)
    assert from_env.exit_code != 0 and "cannot reach" in from_env.output


def test_init_warns_of_plain_http_to_another_machine():
    from tui.cli.sync import plain_http_warning

    assert "unencrypted" in (plain_http_warning("http://district.example:8765") or "")
    assert plain_http_warning("http://127.0.0.1:8765") is None
    assert plain_http_warning("https://district.example") is None


@pytest.mark.parametrize(
    "args",
    [
        ("report", "summary", "--csv"),
        ("report", "html", "-o"),
        ("assessment", "indicators", "--export"),
    ],
    ids=["csv", "html", "xlsx"],
)
def test_writing_into_a_missing_folder_is_one_line_not_a_traceback(district_path, tmp_path, args):
    target = tmp_path / "missing" / "out"
    result = run("--db", str(district_path), *args, str(target), ok=False)
    assert result.exit_code == 1
    assert result.stderr.strip() == f"error: cannot use {target}: No such file or directory"


def test_importing_a_csv_with_a_field_over_the_csv_limit_is_one_line(district_path, tmp_path):
    sheet = tmp_path / "units.csv"
    sheet.write_text("名称,统一社会信用代码\n" + "x" * 140_000 + ",y\n", encoding="utf-8")
    result = run("--db", str(district_path), "import", "units", str(sheet), ok=False)
    assert result.exit_code == 1 and "is not a readable CSV sheet (field larger than field limit" in result.stderr


def test_init_refuses_plain_http_to_another_machine_unless_told(tmp_path):
    db = str(tmp_path / "laptop.db")
    refused = run("--db", db, "init", "--server", "http://192.0.2.1:8765", "--token", "t", ok=False)
    assert refused.exit_code == 2 and "--insecure" in refused.output and "unencrypted" in refused.output
    assert not (tmp_path / "laptop.db.token").exists()
    allowed = run("--db", db, "init", "--server", "http://127.0.0.1:9", "--token", "t", ok=False)
    assert "--insecure" not in allowed.output  # loopback is fine
