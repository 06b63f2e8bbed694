"""Every refusal the app can show, every form field and every key has its Chinese (issue 14,
point 7): read out of the source, so a new rule or key written in English only fails here."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from textual.binding import Binding

import tui.navigation
from schema.errors import DomainError
from schema.hazards import add_hazard
from tests.conftest import TODAY
from tui import phrases
from tui.app import SafeCityApp
from tui.i18n import set_language
from tui.phrases import ERRORS_ZH, FIELDS, KEYS_ZH, SOURCES, field_label, key_label, user_message

ROOT = Path(__file__).resolve().parents[2]
REFUSALS = {"DomainError", "NotFound", "CannotUndo"}


def template(node: ast.expr) -> str | None:
    """The English of a refusal with `{}` where its f-string puts a value."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
    return None


def refusals(path: Path) -> set[str]:
    found = set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for function in ast.walk(tree):  # the rules that answer with a sentence (schema/authority.py)
        if isinstance(function, ast.FunctionDef) and function.name.endswith("refusal"):
            for node in ast.walk(function):
                if isinstance(node, ast.Return) and node.value is not None:
                    if (text := template(node.value)) is not None:
                        found.add(text)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and node.args:
            name = getattr(node.func, "id", getattr(node.func, "attr", None))
            if name in REFUSALS and (text := template(node.args[0])) is not None:
                found.add(text)
    return found


@pytest.mark.parametrize("source", SOURCES)
def test_every_refusal_the_app_shows_has_its_chinese(source):
    missing = refusals(ROOT / source) - set(ERRORS_ZH)
    assert not missing, f"{source}: no Chinese in tui/phrases.py for {sorted(missing)}"


def test_the_chinese_names_every_value_the_english_has():
    for english, chinese in ERRORS_ZH.items():
        wanted = {str(i) for i in range(english.count("{}"))}
        named = set(re.findall(r"\{(\d+)\}", chinese))
        assert named == wanted, (english, chinese)


def test_every_key_of_every_screen_has_its_chinese():
    descriptions = set()
    for cls in tui.navigation.binding_classes(SafeCityApp):
        for binding in getattr(cls, "BINDINGS", []):
            if isinstance(binding, Binding) and binding.show:
                descriptions.add(binding.description)
    assert not descriptions - set(KEYS_ZH), sorted(descriptions - set(KEYS_ZH))


def test_every_field_has_both_languages():
    assert set(FIELDS["zh"]) == set(FIELDS["en"])


@pytest.fixture
def chinese():
    set_language("zh")
    yield
    set_language("en")


def test_a_refusal_reads_in_chinese_with_its_codes_translated(chinese, tmp_path):
    err = DomainError("cannot pass a hazard that is rectifying: pass applies to awaiting_verification hazards (x)")
    assert user_message(err) == "“整改中”的隐患不能复查通过：复查通过只适用于待复查的隐患（x）"
    assert user_message(DomainError("to pass, give opinion")) == "复查通过需要填写：复查意见"
    assert user_message(DomainError("a sentence nobody wrote")) == "a sentence nobody wrote"
    assert key_label("Back") == "返回" and field_label("deadline").startswith("整改期限")


def test_a_real_refusal_from_the_rules_is_translated(chinese, writer):
    with pytest.raises(DomainError) as raised:
        add_hazard(writer, unit_id="any", description=" ", today=TODAY)
    assert user_message(raised.value) == "请填写隐患描述"


def test_the_phrases_the_rules_put_in_sentences_have_their_chinese():
    from schema.rules import ACTION_WORDS, NEEDS

    assert set(ACTION_WORDS.values()) | set(NEEDS.values()) <= set(phrases.PHRASES_ZH)


def test_a_missing_field_reads_in_chinese(chinese):
    assert user_message(DomainError("to void a hazard, give the reason")) == "作废隐患需要填写：理由"
    both = DomainError("to fail the verification, give the verifier's opinion and a new deadline")
    assert user_message(both) == "复查不通过需要填写：复查意见、新的整改期限"


def test_every_reason_of_the_role_matrix_has_its_chinese():
    from schema.authority import MATRIX

    assert {right.why for right in MATRIX} <= set(phrases.PHRASES_ZH)
