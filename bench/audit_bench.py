"""The district log's proofs at a million entries (issue 18): building the tree, an inclusion
proof and a consistency proof made and checked.

Run: .venv/bin/python bench/audit_bench.py [--entries 1000000]
"""

from __future__ import annotations

import argparse
import hashlib
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sync.audit.merkle import Tree, leaf_hash, verify_consistency, verify_inclusion  # noqa: E402


def ms(samples: list[float]) -> str:
    return f"{statistics.median(samples) * 1000:.3f} (max {max(samples) * 1000:.3f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=200)
    args = parser.parse_args()
    started = time.perf_counter()
    tree = Tree(leaf_hash(hashlib.sha256(n.to_bytes(8, "big")).digest()) for n in range(args.entries))
    built = time.perf_counter() - started
    root = tree.root()
    made, checked, cmade, cchecked = [], [], [], []
    for _ in range(args.samples):
        index = random.randrange(args.entries)
        t0 = time.perf_counter()
        path = tree.inclusion(index)
        t1 = time.perf_counter()
        assert verify_inclusion(index, args.entries, tree.levels[0][index], path, root)
        t2 = time.perf_counter()
        made.append(t1 - t0)
        checked.append(t2 - t1)
        old = random.randrange(1, args.entries)
        t0 = time.perf_counter()
        proof = tree.consistency(old)
        t1 = time.perf_counter()
        assert verify_consistency(old, args.entries, tree.root(old), root, proof)
        cmade.append(t1 - t0)
        cchecked.append(time.perf_counter() - t1)
    print(f"| measure ({args.entries:,} entries, {args.samples} samples) | value |")
    print("|---|---|")
    print(f"| tree built from leaf hashes (s) | {built:.2f} |")
    print(f"| inclusion proof made (ms, median) | {ms(made)} |")
    print(f"| inclusion proof checked (ms, median) | {ms(checked)} |")
    print(f"| consistency proof made (ms, median) | {ms(cmade)} |")
    print(f"| consistency proof checked (ms, median) | {ms(cchecked)} |")


if __name__ == "__main__":
    main()
