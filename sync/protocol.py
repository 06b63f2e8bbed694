"""The wire protocol's version and limits, shared by the client and the server.

docs/sync-protocol.md describes the protocol; these are the numbers both sides must agree on.
A client sends its protocol version in every request; a server that cannot serve it answers
426 with a message, and the client keeps its outbox until the person updates SafeCity.
"""

from collections.abc import Iterable, Sequence

PROTOCOL_VERSION = 2
"""The protocol this code speaks."""
COMPACT_RESULTS_SINCE = 2
"""From this version on, a push is answered with the new rows applied as sent given as runs of
sequence numbers (`applied`), not one result each (1: every op has its result)."""
OLDEST_SUPPORTED = 1
"""The oldest client protocol the server still up-converts and serves."""
PROTOCOL_HEADER = "SafeCity-Protocol"
ROW = "__row__"
"""The pseudo-field of a delete-versus-edit conflict, in the conflicts both sides exchange."""

MAX_BODY_BYTES = 64 * 1024 * 1024
"""The largest request body the server reads (compressed size)."""
MAX_INFLATED_BYTES = 128 * 1024 * 1024
"""The largest a gzip body may inflate to (guards against compression bombs): twice the largest
push a laptop makes (10,000 ops of 4,000-character texts)."""
MAX_OPS_PER_PUSH = 10_000


def run_length(runs: Iterable[Sequence[int]]) -> int:
    """How many ops the runs `[[first, last], ...]` of an `applied` answer stand for."""
    return sum(last - first + 1 for first, last in runs)


# The bytes of attachments (issue 17) travel apart from the edits, by their SHA-256.
FILE_PIECE = 4 * 1024 * 1024
"""Bytes a laptop sends per upload request: a cut costs at most this much again."""
MAX_FILE_PIECE = 8 * 1024 * 1024
"""The largest upload request body the server reads."""
MAX_WANTED = 5_000
"""Hashes one `/v1/files/wanted` request may ask about."""
OFFSET_HEADER = "SafeCity-Offset"
"""Where in the file an upload's piece starts (it must be the bytes the server holds)."""
