"""The record's proofs: a Merkle tree over the district's log and signed checkpoints of it (issue 18)."""
