"""The hazard lifecycle and the local rules, as plain Python.

Who calls this: `schema.hazards` before every lifecycle change (so the CLI, the TUI and the
district server refuse the same things with the same words), and the list queries for the
derived `overdue` and escalation level. Nothing here touches a database.

The lifecycle (shared/DOMAIN.md):

    reported ──order──────────► rectifying
    reported ──fix_on_spot────► awaiting_verification
    rectifying ──submit───────► awaiting_verification
    awaiting_verification ──pass──► closed
    awaiting_verification ──fail──► rectifying
    reported | rectifying ──void──► void

`overdue` (deadline passed while rectifying) and the escalation level are derived from the
date, never stored, so they are right offline and on every device.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import date

from schema.errors import DomainError

STATUSES = ("reported", "rectifying", "awaiting_verification", "closed", "void")
OPEN_STATUSES = ("reported", "rectifying", "awaiting_verification")
GRADES = ("general", "major")
FIVE_IMPLEMENTATIONS = ("responsibility", "measures", "funds", "time_limit", "contingency_plan")
"""五落实: a major hazard cannot be ordered until each of these is written down."""


@dataclass(frozen=True)
class Action:
    """One lifecycle action: where it may start, where it leads, what it needs."""

    name: str
    sources: tuple[str, ...]
    target: str
    requires: tuple[str, ...] = ()
    """Parameters the person must give (a note, an opinion, a reason, a deadline)."""
    help: str = ""


ACTIONS: dict[str, Action] = {
    a.name: a
    for a in [
        Action(
            "order",
            ("reported",),
            "rectifying",
            (),
            "order rectification within a time limit (major: the five implementations)",
        ),
        Action(
            "fix_on_spot",
            ("reported",),
            "awaiting_verification",
            ("note",),
            "the hazard was fixed on the spot; it waits for verification",
        ),
        Action(
            "submit",
            ("rectifying",),
            "awaiting_verification",
            ("note",),
            "the unit reports what it did; the hazard waits for verification",
        ),
        Action(
            "pass",
            ("awaiting_verification",),
            "closed",
            ("opinion",),
            "verification passed: the hazard is closed (销号)",
        ),
        Action(
            "fail",
            ("awaiting_verification",),
            "rectifying",
            ("opinion", "deadline"),
            "verification failed: back to rectification with a new deadline",
        ),
        Action(
            "void",
            ("reported", "rectifying"),
            "void",
            ("reason",),
            "not a hazard, or a duplicate: void it with a reason",
        ),
    ]
}

ACTION_WORDS = {
    "order": "order rectification",
    "fix_on_spot": "record a fix on the spot",
    "submit": "submit the rectification",
    "pass": "pass the verification",
    "fail": "fail the verification",
    "void": "void a hazard",
}
"""An action as a sentence says it."""
NEEDS = {
    "note": "a note of what was done",
    "opinion": "the verifier's opinion",
    "deadline": "a new deadline",
    "reason": "the reason",
}
"""What a missing parameter is called in a sentence."""

EDITABLE_FIELDS = ("description", "location", "rectifier", "rectifier_unit", "grade", "funds", "stop_production")
"""What `hazard edit` may change. The deadline is not here on purpose: it moves only by an
order, a failed verification or an approved extension."""


def check_action(status: str, grade: str, action_name: str, params: dict[str, object]) -> Action:
    """The action, if the rules allow it from `status` with `params`; else DomainError.

    The message names the rule that refused, so a person knows what to do instead.
    """
    action = ACTIONS.get(action_name)
    if action is None:
        raise DomainError(f"unknown action {action_name!r}; actions are {', '.join(ACTIONS)}")
    if status not in action.sources:
        allowed = [a.name for a in ACTIONS.values() if status in a.sources]
        hint = f"from {status} you can: {', '.join(allowed)}" if allowed else f"a {status} hazard is final"
        raise DomainError(
            f"cannot {action_name} a hazard that is {status}: {action_name} applies to "
            f"{' or '.join(action.sources)} hazards ({hint})"
        )
    missing = [p for p in action.requires if not params.get(p)]
    if missing:
        raise DomainError(
            f"to {ACTION_WORDS[action_name]}, give {' and '.join(NEEDS[m] for m in missing)}", fields=tuple(missing)
        )
    if action_name == "order" and grade == "major":
        five = params.get("five_implementations") or {}
        lacking = [k for k in FIVE_IMPLEMENTATIONS if not (isinstance(five, dict) and five.get(k))]
        if lacking:
            raise DomainError(
                "a major hazard cannot be ordered without its five implementations (五落实); "
                f"missing: {', '.join(lacking)}"
            )
    return action


def check_editable(status: str) -> None:
    if status in ("closed", "void"):
        raise DomainError(f"a {status} hazard is not edited; a recurrence is a new hazard linked to it")


def allowed_transition(old_status: str, new_status: str) -> bool:
    """True if some action leads from `old_status` to `new_status` (used by the server)."""
    return old_status == new_status or any(old_status in a.sources and a.target == new_status for a in ACTIONS.values())


@dataclass(frozen=True)
class LocalRules:
    """The district's local rules. Configuration, stored in the database's `meta` table."""

    days_general: int = 30
    """Rectification days for a general hazard when an order names no deadline."""
    days_major: int = 90
    """Rectification days for a major hazard when an order names no deadline."""
    working_days: bool = False
    """Count default deadlines in working days (holiday calendar) instead of calendar days."""
    escalation_ladder: tuple[tuple[int, str], ...] = (
        (1, "reminder"),
        (8, "supervision_letter"),
        (15, "summons"),
        (31, "public_criticism"),
        (61, "appraisal_deduction"),
    )
    """(days overdue from which a step applies, step): 提醒 → 督办函 → 约谈 → 通报批评 → 考核扣分."""
    listing_authority: str = "区安委办"
    """Who lists a major hazard for supervision (挂牌督办) when ordering names none."""
    order_prefix: str = "滨新安责改"
    """The issuing office's prefix of a rectification order number: 滨新安责改〔2026〕0051号."""
    extension_max_days: int = 60
    """How far past the current deadline an extension (延期) may move it, in days."""
    extra: dict[str, object] = field(default_factory=dict)

    @classmethod
    def from_json(cls, text: str | None) -> LocalRules:
        if not text:
            return cls()
        data = json.loads(text)
        if "escalation_ladder" in data:
            data["escalation_ladder"] = tuple((int(d), str(s)) for d, s in data["escalation_ladder"])
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    def default_days(self, grade: str) -> int:
        return self.days_major if grade == "major" else self.days_general


def days_overdue(status: str, deadline: str | None, today: date) -> int:
    """Days past the deadline of a hazard under rectification; 0 if it is not overdue."""
    if status != "rectifying" or not deadline:
        return 0
    return max(0, (today - date.fromisoformat(deadline)).days)


def is_overdue(status: str, deadline: str | None, today: date) -> bool:
    return days_overdue(status, deadline, today) > 0


ESCALATION_STEPS = ("reminder", "supervision_letter", "summons", "public_criticism", "appraisal_deduction")
"""The ladder's steps in order of severity (the thresholds are local rules)."""


def escalation_level(days: int, rules: LocalRules) -> str | None:
    """The highest step of the ladder that `days` overdue has reached, or None."""
    level = None
    for threshold, step in rules.escalation_ladder:
        if days >= threshold:
            level = step
    return level
