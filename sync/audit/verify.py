"""Checking a stored record end to end: what `safecity audit verify` and the server's self-audit run.

The district log can be checked from nothing but what it stores. Walking its events in log
order, `LogAuditor` recomputes, for each one:
- the event's hash from its row (`schema.chain.hash_of_row`): an edited row no longer hashes
  to the hash it was logged with;
- its device's chain: the event names the hash of that device's previous logged event, and its
  sequence number is higher (a deleted, inserted or reordered event breaks the link);
- its leaf in the tree (`schema.chain.leaf_entry`), so the tree rebuilt from the rows must give
  every stored node and the root of every signed checkpoint at that size;
- each signed chain head a device pushed: signed by the device's registered key, naming the
  hash the log holds for that sequence number.
It keeps only the tree's right edge (`Frontier`, a few dozen hashes), one chain head per device
and the problems found, so a million events are checked in one pass of constant memory, the
rows read a page at a time by the caller.

Who calls this: `sync.server.audit` (a server's data folder or database, and its self-audit)
and `sync.laptop.audit` (a laptop's file, through `check_event`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from schema.chain import CanonicalError, hash_of_row, leaf_entry
from sync.audit.keys import head_text
from sync.audit.merkle import EMPTY_ROOT, leaf_hash, node_hash
from sync.audit.note import Checkpoint, NoteError, Verifier, open_note

EVENT_COLUMNS = (
    "id",
    "device_id",
    "device_seq",
    "hlc",
    "actor",
    "at",
    "table_name",
    "row_id",
    "action",
    "fields",
    "old",
    "base_version",
    "prev",
    "hash",
    "status",
    "reason",
    "received_at",
    "log_index",
)
"""The event columns an audit reads, in this order (the callers' SELECT)."""

LISTED = 20
"""Problems a report lists in full; the rest are counted."""


@dataclass(frozen=True)
class Problem:
    """One thing that is not as it was made: where (log index and event, when known) and what."""

    text: str
    index: int | None = None
    event: str | None = None

    def line(self) -> str:
        where = f"entry {self.index}" if self.index is not None else ""
        if self.event:
            where = f"{where} (event {self.event})" if where else f"event {self.event}"
        return f"{where}: {self.text}" if where else self.text


@dataclass
class Report:
    """What an audit checked and what it found, first problem first."""

    what: str
    entries: int = 0
    """Log entries checked."""
    unlogged: int = 0
    """Events written before the log began: stored, but covered by no hash."""
    devices: int = 0
    checkpoints: int = 0
    heads: int = 0
    """Signed chain heads checked."""
    problems: list[Problem] = field(default_factory=list)
    more: int = 0
    """Problems found beyond those listed."""

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first(self) -> Problem | None:
        return self.problems[0] if self.problems else None

    def add(self, problem: Problem) -> None:
        if len(self.problems) < LISTED:
            self.problems.append(problem)
        else:
            self.more += 1

    def as_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "what": self.what,
            "entries": self.entries,
            "unlogged": self.unlogged,
            "devices": self.devices,
            "checkpoints": self.checkpoints,
            "heads": self.heads,
            "first_problem": self.first.line() if self.first else None,
            "problems": [{"index": p.index, "event": p.event, "text": p.text} for p in self.problems],
            "more": self.more,
        }

    def text(self) -> str:
        lines = [
            f"{self.what}: {_count(self.entries, 'log entry', 'log entries')}, {_count(self.devices, 'device chain')},"
            f" {_count(self.heads, 'signed chain head')}, {_count(self.checkpoints, 'signed checkpoint')} checked"
        ]
        if self.unlogged:
            lines.append(f"{self.unlogged} events were written before the log began (kept, but covered by no hash)")
        if self.ok:
            lines.append("the record is as it was made")
        else:
            lines.append(f"first bad entry: {self.problems[0].line()}")
            lines.extend(f"  also: {p.line()}" for p in self.problems[1:])
            if self.more:
                lines.append(f"  and {self.more} more problems")
        return "\n".join(lines)


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else many or one + 's'}"


class Frontier:
    """The right edge of an RFC 6962 tree being built leaf by leaf: the roots of its complete
    subtrees, largest first. Enough for the root of the tree so far and for every complete
    node as it is formed; nothing else is kept."""

    def __init__(self) -> None:
        self.size = 0
        self.stack: list[tuple[int, bytes]] = []

    def append(self, leaf: bytes) -> list[tuple[int, int, bytes]]:
        """Add a leaf; returns the nodes it completes above level 0 as (level, index, hash)."""
        self.size += 1
        stack = self.stack
        stack.append((0, leaf))
        done: list[tuple[int, int, bytes]] = []
        while len(stack) > 1 and stack[-1][0] == stack[-2][0]:
            level, right = stack.pop()
            _level, left = stack.pop()
            digest = node_hash(left, right)
            stack.append((level + 1, digest))
            done.append((level + 1, (self.size >> (level + 1)) - 1, digest))
        return done

    def root(self) -> bytes:
        if not self.stack:
            return EMPTY_ROOT
        digest = self.stack[-1][1]
        for _level, left in reversed(self.stack[:-1]):
            digest = node_hash(left, digest)
        return digest


def check_event(row: Mapping[str, Any]) -> str | None:
    """Why a stored event does not hash to the hash stored with it, or None when it does."""
    try:
        computed = hash_of_row(row)
    except (CanonicalError, ValueError, TypeError, KeyError) as err:
        return f"its content cannot be read as it was written ({err})"
    if computed != row["hash"]:
        return (
            f"device {row['device_id']}'s change {row['device_seq']} does not hash to the hash it was logged with:"
            " it was changed after it was written"
        )
    return None


class LogAuditor:
    """Checks a district log fed to it entry by entry, in log order (`entry`), then `finish`."""

    def __init__(
        self,
        report: Report,
        *,
        verifier: Verifier | None,
        origin: str | None,
        checkpoints: Iterable[tuple[int, str]],
        nodes: Mapping[tuple[int, int], str],
        node_level: int,
        device_keys: Mapping[str, str | None],
        heads: Iterable[tuple[str, int, str, str]],
        cosigner: Verifier | None = None,
        cosigned: Iterable[int] = (),
    ):
        """`checkpoints`: (size, signed note); `nodes`: the stored tree nodes (level, index) ->
        hex, every complete node at `node_level` and above; `device_keys`: device id -> its
        registered verifier key; `heads`: (device, seq, head, signed note) of each push;
        `cosigner`: the office's co-signing key, whose signature the `cosigned` sizes carry."""
        self.cosigner = cosigner
        self.cosigned = set(cosigned)
        self.report = report
        self.frontier = Frontier()
        self.nodes = nodes
        self.node_level = node_level
        self.seen_nodes = 0
        self.chains: dict[str, tuple[int, str]] = {}
        """Device id -> (sequence number, hash) of its last logged event so far."""
        self.roots: dict[int, bytes] = {}
        self.tree_broken = False
        self._checkpoints(verifier, origin, checkpoints)
        self.heads: dict[tuple[str, int], str] = {}
        self._heads(device_keys, heads)

    def _checkpoints(self, verifier: Verifier | None, origin: str | None, notes: Iterable[tuple[int, str]]) -> None:
        for size, note in notes:
            self.report.checkpoints += 1
            if verifier is None:
                self.report.add(Problem(f"checkpoint {size} is signed, but the district's log key is not recorded"))
                continue
            try:
                text, signers = open_note(note, [verifier, *([self.cosigner] if self.cosigner else [])])
                point = Checkpoint.parse(text)
            except NoteError as err:
                self.report.add(Problem(f"the checkpoint of {size} entries does not verify: {err}"))
                continue
            if verifier.name not in signers:
                self.report.add(Problem(f"the checkpoint of {size} entries is not signed by the district's key"))
                continue
            if size in self.cosigned and (self.cosigner is None or self.cosigner.name not in signers):
                self.report.add(Problem(f"the checkpoint of {size} entries is marked co-signed but is not"))
                continue
            if point.size != size or point.origin != origin:
                self.report.add(
                    Problem(f"the checkpoint stored as {size} entries signs {point.size} entries of {point.origin}")
                )
                continue
            self.roots[size] = point.root

    def _heads(self, device_keys: Mapping[str, str | None], heads: Iterable[tuple[str, int, str, str]]) -> None:
        verifiers: dict[str, Verifier | None] = {}
        for device, seq, head, note in heads:
            self.report.heads += 1
            if device not in verifiers:
                key = device_keys.get(device)
                try:
                    verifiers[device] = Verifier.parse(key) if key else None
                except NoteError:
                    verifiers[device] = None
            verifier = verifiers[device]
            if verifier is None:
                self.report.add(Problem(f"device {device}'s signed chain head {seq} has no registered key to check"))
                continue
            try:
                text = open_note(note, [verifier])[0]
            except NoteError as err:
                self.report.add(Problem(f"device {device}'s signed chain head {seq} does not verify: {err}"))
                continue
            if text != head_text(device, seq, head):
                self.report.add(Problem(f"device {device}'s chain head {seq} is not the one the device signed"))
                continue
            self.heads[(device, seq)] = head

    def entry(self, row: Mapping[str, Any]) -> None:
        report = self.report
        index, event = row["log_index"], row["id"]
        expected = self.frontier.size
        if index != expected and not self.tree_broken:
            self.tree_broken = True
            text = (
                f"entry {expected} is missing: the log goes on at {index} (an event was deleted or moved)"
                if index > expected
                else "this entry appears twice in the log"
            )
            report.add(Problem(text, expected if index > expected else index, None if index > expected else event))
        report.entries += 1
        problem = check_event(row)
        if problem:
            report.add(Problem(problem, index, event))
        device, seq, prev = row["device_id"], row["device_seq"], row["prev"]
        last = self.chains.get(device)
        if last is None and prev is not None:
            report.add(Problem(f"device {device}'s chain starts from an event the log does not hold", index, event))
        elif last is not None and (prev != last[1] or seq <= last[0]):
            report.add(
                Problem(
                    f"device {device}'s change {seq} does not follow its change {last[0]} in the log:"
                    " an event of this device before it was changed, deleted, inserted or reordered",
                    index,
                    event,
                )
            )
        self.chains[device] = (seq, row["hash"])
        signed = self.heads.pop((device, seq), None)
        if signed is not None and signed != row["hash"]:
            report.add(Problem(f"device {device} signed another hash for its change {seq}", index, event))
        if self.tree_broken:
            return
        leaf = leaf_hash(leaf_entry(row["hash"], row["status"], row["reason"], row["received_at"]))
        for level, node_index, digest in self.frontier.append(leaf):
            if level < self.node_level:
                continue
            self.seen_nodes += 1
            stored = self.nodes.get((level, node_index))
            if stored != digest.hex():
                self.tree_broken = True
                report.add(
                    Problem(
                        f"the stored tree's node {level}/{node_index} is "
                        + ("missing" if stored is None else "not the hash of the entries below it")
                        + f" (entries {node_index << level} to {((node_index + 1) << level) - 1})",
                        index,
                    )
                )
                return
        root = self.roots.pop(self.frontier.size, None)
        if root is not None and root != self.frontier.root():
            self.tree_broken = True
            report.add(
                Problem(
                    f"the log's first {self.frontier.size} entries are not those its signed checkpoint of that size"
                    " commits to: an entry among them was changed, deleted or reordered",
                    index,
                )
            )

    def finish(self, device_heads: Mapping[str, tuple[int, str | None]]) -> Report:
        """After the last entry: every checkpoint and signed head met, and each device's chain
        head as the server holds it (`device_heads`: device -> (seq, head)) the log's last."""
        report = self.report
        report.devices = len(self.chains)
        if not self.tree_broken:
            for size in sorted(s for s in self.roots if s > self.frontier.size):
                report.add(
                    Problem(
                        f"a checkpoint of {size} entries is signed, but the log holds {self.frontier.size}: entries were deleted"
                    )
                )
                break
        for (device, seq), _head in sorted(self.heads.items()):
            report.add(Problem(f"device {device} signed its change {seq}, which the log does not hold"))
        for device, (seq, head) in sorted(device_heads.items()):
            last = self.chains.get(device)
            if seq and (last is None or last != (seq, head)):
                report.add(
                    Problem(
                        f"the server holds device {device}'s chain head as change {seq}, which is not its last logged change"
                    )
                )
        return report
