"""Full-text search over hazards and units, Chinese included."""

from __future__ import annotations

import pytest

from schema.errors import NotFound
from schema.hazards import add_hazard, local_rules
from schema.queries import HazardFilter, find_area, list_hazards, list_units
from schema.rules import LocalRules
from schema.store.connection import connect
from schema.store.search import defer_indexing, fts_text, match_expression, rebuild_index
from schema.writes import Writer, local_actor
from tests.conftest import TODAY, database_at_version


def search(conn, text: str) -> list[str]:
    return [
        h["description"] for h in list_hazards(conn, HazardFilter(search=text), today=TODAY, rules=local_rules(conn))
    ]


@pytest.fixture
def hazards(writer, unit_id, district):
    district.execute("INSERT INTO hazard_fts (hazard_fts) VALUES ('delete-all')")  # only our own hazards below
    for text in ("消防通道堵塞", "安全出口标志损坏 exit sign broken", "Forklift driver unlicensed"):
        add_hazard(writer, unit_id=unit_id, description=text, today=TODAY)
    return district


@pytest.mark.parametrize(
    ("query", "found"),
    [
        pytest.param("消防", ["消防通道堵塞"], id="two-chinese-characters-find-a-longer-word"),
        pytest.param("通道堵塞", ["消防通道堵塞"], id="middle-of-a-chinese-word"),
        pytest.param("标志", ["安全出口标志损坏 exit sign broken"], id="chinese-in-mixed-text"),
        pytest.param("fork", ["Forklift driver unlicensed"], id="english-prefix"),
        pytest.param("EXIT broken", ["安全出口标志损坏 exit sign broken"], id="case-insensitive-all-words"),
        pytest.param("消堵", [], id="characters-must-stand-together"),
    ],
)
def test_search_finds_hazards(hazards, query, found):
    assert search(hazards, query) == found


def test_edit_updates_the_index(hazards, writer):
    hazard_id = hazards.execute("SELECT id FROM hazard WHERE description = '消防通道堵塞'").fetchone()[0]
    writer.update("hazard", hazard_id, {"description": "配电室积水"})
    assert search(hazards, "消防") == []
    assert search(hazards, "积水") == ["配电室积水"]


@pytest.mark.parametrize("query", ['"', "NEAR(", "a*b", "OR", "'; DROP TABLE hazard; --"])
def test_search_syntax_in_a_query_is_searched_as_text(hazards, query):
    assert search(hazards, query) == []


def test_match_expression_quotes_every_term():
    assert match_expression('消防 "fire') == '"消 防" AND "fire"*'
    assert match_expression("   ") is None


def test_units_are_searchable_in_chinese(district):
    names = [u["name"] for u in list_units(district, search="化工")]
    assert names and all("化工" in n for n in names)


def test_a_deleted_hazard_leaves_the_index_and_the_others_stay(hazards, writer, unit_id):
    twin = add_hazard(writer, unit_id=unit_id, description="消防栓缺水", today=TODAY)
    gone = hazards.execute("SELECT id FROM hazard WHERE description = '消防通道堵塞'").fetchone()[0]
    hazards.execute("DELETE FROM hazard WHERE id = ?", (gone,))  # as a pulled tombstone removes it
    assert search(hazards, "消防") == ["消防栓缺水"]
    writer.update("hazard", twin, {"location": "北门"})
    assert search(hazards, "消防 北门") == ["消防栓缺水"]


def test_the_index_rebuilt_after_a_large_pull_finds_and_forgets_as_before(hazards, writer):
    defer_indexing(hazards)
    hidden = add_hazard(
        writer,
        unit_id=hazards.execute("SELECT id FROM unit LIMIT 1").fetchone()[0],
        description="配电箱未接地",
        today=TODAY,
    )
    assert search(hazards, "接地") == []  # written while indexing stood down
    rebuild_index(hazards)
    assert search(hazards, "接地") == ["配电箱未接地"]
    writer.update("hazard", hidden, {"description": "配电箱已整改"})
    assert search(hazards, "接地") == [] and search(hazards, "整改") == ["配电箱已整改"]


def test_a_file_from_before_the_index_only_search_is_migrated_and_searchable(tmp_path):
    path = tmp_path / "v3.db"
    database_at_version(
        path,
        3,
        "INSERT INTO unit (id, name, kind, industry, area) VALUES ('u1', '甲化工公司', 'enterprise', 'gas', 'xinhe')",
        "INSERT INTO hazard (id, unit_id, area, description, found_at) VALUES ('h1', 'u1', 'xinhe', '消防通道堵塞', 't')",
    )
    conn = connect(path)
    assert conn.execute("SELECT count(*) FROM hazard_fts WHERE hazard_fts MATCH '\"消 防\"'").fetchone()[0] == 1
    assert [u["name"] for u in list_units(conn, search="化工")] == ["甲化工公司"]
    Writer(conn, local_actor(conn)).update("hazard", "h1", {"description": "配电室积水"})
    assert conn.execute("SELECT count(*) FROM hazard_fts WHERE hazard_fts MATCH '\"消 防\"'").fetchone()[0] == 0


@pytest.mark.parametrize(
    ("parts", "indexed"),
    [
        pytest.param(("消防通道",), " 消  防  通  道 ", id="each-chinese-character-a-token"),
        pytest.param(("Forklift 3t", None, ""), "Forklift 3t", id="latin-and-digits-untouched-empty-parts-skipped"),
        pytest.param(("北门", "王伟"), " 北  门   王  伟 ", id="parts-joined"),
        pytest.param(
            ("Ünter straße，🚒",), "Ünter straße ， 🚒", id="accents-and-emoji-untouched-cjk-punctuation-spaced"
        ),
    ],
)
def test_the_indexed_text_spaces_chinese_and_keeps_the_rest(parts, indexed):
    assert fts_text(*parts) == indexed


@pytest.mark.parametrize(
    ("words", "code"),
    [
        pytest.param("xinhe", "xinhe", id="code"),
        pytest.param("新河", "xinhe", id="chinese-start-means-the-town"),
        pytest.param("新河街道", "xinhe", id="chinese-name"),
        pytest.param("Xinhe", "xinhe", id="english-start"),
        pytest.param("xinhe street community 2", "xinhe-c2", id="english-name"),
    ],
)
def test_an_area_is_found_by_its_name_in_either_language(district, words, code):
    """Regression (issue 14): `area:新河` and `area:Xinhe` failed; only codes worked."""
    assert find_area(district, words)["code"] == code
    assert list_hazards(district, HazardFilter(area=words), today=TODAY, rules=LocalRules())


def test_an_unknown_area_is_refused_with_how_areas_are_named(district):
    with pytest.raises(NotFound, match="areas are named like"):
        find_area(district, "atlantis")


def test_the_text_search_finds_hazards_by_their_units_name(district):
    """Regression (issue 14): the text filter did not match unit names."""
    unit = district.execute(
        "SELECT u.id, u.name FROM unit u WHERE EXISTS (SELECT 1 FROM hazard h WHERE h.unit_id = u.id) LIMIT 1"
    ).fetchone()
    found = list_hazards(district, HazardFilter(search=unit["name"]), today=TODAY, rules=LocalRules())
    assert found and {h["unit_id"] for h in found} == {unit["id"]}
