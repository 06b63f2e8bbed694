"""Full-text search over hazards and units, Chinese included."""

from __future__ import annotations

import pytest

from schema.hazards import add_hazard, local_rules
from schema.queries import HazardFilter, list_hazards, list_units
from schema.search import match_expression
from tests.conftest import TODAY


def search(conn, text: str) -> list[str]:
    return [h["description"] for h in list_hazards(conn, HazardFilter(search=text), today=TODAY, rules=local_rules(conn))]


@pytest.fixture
def hazards(writer, unit_id, district):
    district.execute("DELETE FROM hazard_fts")  # only our own hazards below
    for text in ("消防通道堵塞", "安全出口标志损坏 exit sign broken", "Forklift driver unlicensed"):
        add_hazard(writer, unit_id=unit_id, description=text, today=TODAY)
    return district


@pytest.mark.parametrize(("query", "found"), [
    pytest.param("消防", ["消防通道堵塞"], id="two-chinese-characters-find-a-longer-word"),
    pytest.param("通道堵塞", ["消防通道堵塞"], id="middle-of-a-chinese-word"),
    pytest.param("标志", ["安全出口标志损坏 exit sign broken"], id="chinese-in-mixed-text"),
    pytest.param("fork", ["Forklift driver unlicensed"], id="english-prefix"),
    pytest.param("EXIT broken", ["安全出口标志损坏 exit sign broken"], id="case-insensitive-all-words"),
    pytest.param("消堵", [], id="characters-must-stand-together"),
])
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
