"""The district log at a million entries (issue 18): `safecity audit verify` of the whole log,
and inclusion proofs built from the stored tree and checked.

Run: .venv/bin/python bench/audit_bench.py [--events 1000000] [--devices 50]

The log is written as pushes write it, in the server's real format, into an embedded server's
data folder: events of `--devices` laptops (hazard edits of a few fields), each hashed into its
device's chain (`schema.chain`), a signed chain head per device per batch of 10,000, the leaves
appended to the stored tree (`sync.server.log.StoredTree`) and a checkpoint signed per batch.
Then it measures:
- `safecity audit verify --data DIR` as a process: wall time and peak RSS (the target: under
  20 s for 1,000,000 events);
- an inclusion proof made on a cold `StoredTree` (its nodes read from `log_node`, a block of
  256 leaves rehashed from its rows), and checked (`verify_inclusion`) (targets 10 ms and 5 ms);
- `safecity audit prove` of one hazard and `audit verify-proof` of its file, as processes.
Exits non-zero when the verify does not find the log intact.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import orjson  # noqa: E402

from schema.chain import event_hash, leaf_entry  # noqa: E402
from sync.audit.keys import device_key_name, head_text  # noqa: E402
from sync.audit.merkle import leaf_hash, verify_inclusion  # noqa: E402
from sync.audit.note import Signer  # noqa: E402
from sync.server.accounts import add_user  # noqa: E402
from sync.server.log import StoredTree, log_size, sign_checkpoint  # noqa: E402
from sync.server.store import DistrictStore  # noqa: E402

SAFECITY = [sys.executable, "-m", "tui"]
BATCH = 10_000
INSERT = (
    "INSERT INTO event (id, device_id, device_seq, hlc, actor, at, table_name, row_id, area, action, fields,"
    " old, base_version, status, reason, row_version, received_at, hash, prev, log_index)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def ms(samples: list[float]) -> str:
    return f"{statistics.median(samples) * 1000:.3f} (max {max(samples) * 1000:.3f})"


def build(folder: Path, events: int, devices: int) -> tuple[DistrictStore, list[str]]:
    """A server data folder whose log holds `events` events of `devices` laptops."""
    store = DistrictStore.open(folder)
    store.seed(scale=1000, today=date(2026, 11, 29))
    db = store.db()
    keys = store.log_keys
    add_user(db, "insp.bench", "inspector", ["xinhe"])
    signers = [Signer.generate(device_key_name(f"dev{d:03}")) for d in range(devices)]
    with db.transaction():
        db.many(
            "INSERT INTO device (id, login, token_hash, created_at, public_key) VALUES (?, ?, ?, ?, ?)",
            [
                (f"dev{d:03}", "insp.bench", f"t{d}", "2026-01-01T00:00:00Z", s.verifier.text())
                for d, s in enumerate(signers)
            ],
        )
    heads: dict[int, tuple[int, str | None]] = {d: (0, None) for d in range(devices)}
    hazards = [r[0] for r in db.rows("SELECT id FROM hazard ORDER BY id")]
    tree = StoredTree(db, 0)
    index = 0
    while index < events:
        rows, leaves = [], []
        touched: set[int] = set()
        with db.transaction():
            for _ in range(min(BATCH, events - index)):
                d = index % devices
                seq, prev = heads[d]
                seq += 1
                at = f"2026-{1 + index * 11 // events:02}-15T08:{index % 60:02}:00Z"
                fields = {"description": f"消防通道堵塞，第{index}次复查", "deadline": "2026-12-31"}
                pk = hazards[index % len(hazards)]
                digest = event_hash(
                    op_id=f"op-{index}",
                    device_id=f"dev{d:03}",
                    device_seq=seq,
                    hlc=1_800_000_000_000_000 + index,
                    actor="insp.bench",
                    at=at,
                    table="hazard",
                    row_id=pk,
                    action="update",
                    fields=fields,
                    old={},
                    base_version=1,
                    prev=prev,
                )
                rows.append(
                    (f"op-{index}", f"dev{d:03}", seq, 1_800_000_000_000_000 + index, "insp.bench", at, "hazard", pk,
                     "xinhe", "update", orjson.dumps(fields).decode(), "{}", 1, "applied", None, 2, at, digest, prev,
                     index)
                )  # fmt: skip
                leaves.append(leaf_hash(leaf_entry(digest, "applied", None, at)))
                heads[d] = (seq, digest)
                touched.add(d)
                index += 1
            db.many(INSERT, rows)
            db.many("INSERT INTO log_node (level, idx, hash) VALUES (?, ?, ?)", tree.append_leaves(leaves))
            db.execute(
                "INSERT INTO meta (key, value) VALUES ('log_size', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (str(tree.size),),
            )
            sign_checkpoint(db, keys, tree, rows[-1][5])
            for d in touched:
                seq, digest = heads[d]
                assert digest is not None
                note = signers[d].sign(head_text(f"dev{d:03}", seq, digest))
                db.execute(
                    "INSERT INTO device_head (device_id, seq, head, note, received_at) VALUES (?, ?, ?, ?, ?)",
                    (f"dev{d:03}", seq, digest, note, rows[-1][5]),
                )
                db.execute("UPDATE device SET chain_seq = ?, chain_head = ? WHERE id = ?", (seq, digest, f"dev{d:03}"))  # fmt: skip
        print(f"  {index:,} events written", file=sys.stderr, end="\r")
    return store, hazards


def timed(*args: str) -> tuple[float, float, subprocess.CompletedProcess[str]]:
    """Wall seconds and peak RSS (MB) of a `safecity` process."""
    started = time.perf_counter()
    done = subprocess.run(["/usr/bin/time", "-f", "%M", *SAFECITY, *args], capture_output=True, text=True)
    wall = time.perf_counter() - started
    rss = int(done.stderr.strip().splitlines()[-1]) / 1024
    return wall, rss, done


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--devices", type=int, default=50)
    parser.add_argument("--samples", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "server"
        started = time.perf_counter()
        store, hazards = build(folder, args.events, args.devices)
        written = time.perf_counter() - started
        db = store.db()
        size = log_size(db)
        made, checked = [], []
        key = store.log_keys.verifier
        root = StoredTree(db, size).root()
        for _ in range(args.samples):
            i = random.randrange(size)
            row = db.one("SELECT hash, status, reason, received_at FROM event WHERE log_index = ?", (i,))
            assert row is not None
            t0 = time.perf_counter()
            path = StoredTree(db, size).inclusion(i)  # cold: nothing cached, as `audit prove` starts
            t1 = time.perf_counter()
            leaf = leaf_hash(leaf_entry(row["hash"], row["status"], row["reason"], row["received_at"]))
            assert verify_inclusion(i, size, leaf, path, root)
            t2 = time.perf_counter()
            made.append(t1 - t0)
            checked.append(t2 - t1)
        store.close()

        wall, rss, done = timed("audit", "verify", "--data", str(folder), "--json")
        report = json.loads(done.stdout)
        proof = Path(tmp) / "proof.json"
        prove_wall, prove_rss, proved = timed("audit", "prove", hazards[0], "-o", str(proof), "--data", str(folder))
        check_wall, check_rss, checked_proof = timed("audit", "verify-proof", str(proof), "--key", key.text())
        proof_bytes = proof.read_bytes() if proof.exists() else b"{}"
    proof_events = len(orjson.loads(proof_bytes)["events"]) if proved.returncode == 0 else 0
    ok = report["ok"] and report["entries"] == args.events and proved.returncode == 0 and checked_proof.returncode == 0
    results = {
        "events": args.events,
        "devices": args.devices,
        "written_s": round(written, 1),
        "verify_s": round(wall, 2),
        "verify_rss_mb": round(rss, 1),
        "inclusion_made_ms": round(statistics.median(made) * 1000, 3),
        "inclusion_made_max_ms": round(max(made) * 1000, 3),
        "inclusion_checked_ms": round(statistics.median(checked) * 1000, 3),
        "prove_s": round(prove_wall, 2),
        "verify_proof_s": round(check_wall, 2),
        "ok": ok,
    }
    out = ROOT / "bench" / "out"
    out.mkdir(exist_ok=True)
    (out / "audit.json").write_text(json.dumps(results, indent=2))
    print(f"| measure ({args.events:,} events of {args.devices} devices) | value | target |")
    print("|---|---|---|")
    print(f"| `safecity audit verify --data` of the whole log (s, peak RSS) | **{wall:.1f}** ({rss:.0f} MB) | < 20 s |")
    print(f"| inclusion proof made on the stored tree, cold (ms, median) | **{ms(made)}** | < 10 ms |")
    print(f"| inclusion proof checked (ms, median) | **{ms(checked)}** | < 5 ms |")
    print(f"| `audit prove` of one hazard ({proof_events:,} events), whole process (s) | {prove_wall:.2f} | |")
    print(f"| `audit verify-proof` of its file, whole process (s) | {check_wall:.2f} | |")
    print(f"| the log written (s) | {written:.1f} | |")
    if not ok:
        print(f"FAILED: {report.get('first_problem')} {proved.stderr} {checked_proof.stdout}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
