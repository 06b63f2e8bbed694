"""The district server's API, described (OpenAPI 3.1), served at /openapi.json.

Kept apart from `sync.server.app` (which serves it): the description is data, long, and read by
clients and by the fuzz test (`tests/sync/test_fuzz.py` drives schemathesis from it), not by the
request path. The limits it states are the protocol's own (`sync.protocol`).
"""

from __future__ import annotations

from typing import Any

from sync.protocol import (
    MAX_OPS_PER_PUSH,
    MAX_WANTED,
    OFFSET_HEADER,
    OLDEST_SUPPORTED,
    PROTOCOL_HEADER,
    PROTOCOL_VERSION,
)
from sync.server.push_body import SEQ_LIMIT

_AUTH: list[dict[str, list[str]]] = [{"device_token": []}]
_PROTOCOL_PARAMETER: dict[str, Any] = {
    "name": PROTOCOL_HEADER,
    "in": "header",
    "required": True,
    "schema": {"type": "string", "enum": [str(v) for v in range(OLDEST_SUPPORTED, PROTOCOL_VERSION + 1)]},
    "description": "the sync protocol the client speaks (another number is answered 426, anything else 400)",
}
_REFUSALS: dict[str, Any] = {
    "400": {"description": "a malformed request: the protocol header, a parameter or the body, named in 'error'"},
    "401": {"description": "no token, or one the server does not know (revoked)"},
    "426": {"description": "the client's protocol is too old or too new for this server"},
    "429": {"description": "too many requests from this device: wait the Retry-After seconds"},
}


def _json_body(required: list[str], properties: dict[str, Any]) -> dict[str, Any]:
    """A required JSON object request body with these properties."""
    return {
        "required": True,
        "content": {"application/json": {"schema": {"type": "object", "required": required, "properties": properties}}},
    }


_FILE_REFUSALS: dict[str, Any] = {
    **_REFUSALS,
    "404": {"description": "no attachment in the device's areas names this file"},
}
_PLAIN_VALUES: dict[str, Any] = {
    "type": "object",
    "additionalProperties": {"type": ["string", "number", "integer", "boolean", "null"]},
}
OPENAPI: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "SafeCity district server",
        "version": str(PROTOCOL_VERSION),
        "description": "Offline-first sync for urban-safety inspections. See docs/sync-protocol.md.",
    },
    "components": {"securitySchemes": {"device_token": {"type": "http", "scheme": "bearer"}}},
    "paths": {
        "/health": {"get": {"summary": "Liveness and protocol version", "responses": {"200": {"description": "ok"}}}},
        "/v1/me": {
            "get": {
                "summary": "The device's user, role, areas and scope key",
                "security": _AUTH,
                "parameters": [_PROTOCOL_PARAMETER],
                "responses": {"200": {"description": "who this token is"}, **_REFUSALS},
            }
        },
        "/v1/push": {
            "post": {
                "summary": "Apply a batch of field-level ops; one result per op (applied, superseded, conflict, rejected),"
                " new rows applied as sent as runs of sequence numbers (protocol 2)",
                "security": _AUTH,
                "parameters": [_PROTOCOL_PARAMETER],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["ops"],
                                "properties": {
                                    "ops": {
                                        "type": "array",
                                        "maxItems": MAX_OPS_PER_PUSH,
                                        "items": {
                                            "type": "object",
                                            "required": [
                                                "op_id",
                                                "device_seq",
                                                "hlc",
                                                "table",
                                                "pk",
                                                "action",
                                                "fields",
                                                "base_version",
                                            ],
                                            "properties": {
                                                "op_id": {"type": "string"},
                                                "device_seq": {"type": "integer", "minimum": 1, "maximum": SEQ_LIMIT},
                                                "hlc": {"type": "integer", "minimum": 0, "maximum": 2**63 - 1},
                                                "table": {"type": "string"},
                                                "pk": {"type": "string"},
                                                "action": {"type": "string"},
                                                "fields": _PLAIN_VALUES,
                                                "old": {**_PLAIN_VALUES, "type": ["object", "null"]},
                                                "base_version": {"type": "integer", "minimum": 0, "maximum": SEQ_LIMIT},
                                            },
                                        },
                                    },
                                    "chain": {
                                        "type": "object",
                                        "required": ["note"],
                                        "description": "the device's signed chain head (docs/audit.md): the hash"
                                        " before the first op, and a note signed with the device key naming the"
                                        " last op's sequence number and hash",
                                        "properties": {
                                            "prev": {"type": ["string", "null"], "pattern": "^[0-9a-f]{64}$"},
                                            "note": {"type": "string", "maxLength": 4096},
                                        },
                                    },
                                    "runs": {
                                        "type": "array",
                                        "items": {
                                            "type": "object",
                                            "required": ["table", "fields", "rows"],
                                            "description": "new rows of one table as columns (protocol 2): each row is"
                                            " [op_id, device_seq, hlc, pk, actor, at, *values of fields]",
                                            "properties": {
                                                "table": {"type": "string"},
                                                "fields": {"type": "array", "items": {"type": "string"}},
                                                "rows": {"type": "array", "items": {"type": "array"}},
                                            },
                                        },
                                    },
                                },
                            }
                        }
                    },
                },
                "responses": {
                    "200": {"description": "results, server clock, clamped skew, where the log put the new events"},
                    **_REFUSALS,
                    "409": {
                        "description": "the push does not extend the device's signed chain (unsigned, a change"
                        " missing, a fork, a wrong key, an op id used before); nothing is applied"
                    },
                    "413": {"description": "too large: the body, its inflated size, or its number of ops or values"},
                },
            }
        },
        "/v1/pull": {
            "get": {
                "summary": "A page of changes after the cursor, within the device's scope",
                "security": _AUTH,
                "parameters": [
                    _PROTOCOL_PARAMETER,
                    {
                        "name": "cursor",
                        "in": "query",
                        "schema": {"type": "integer", "minimum": 0, "maximum": SEQ_LIMIT},
                    },
                    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": SEQ_LIMIT}},
                    {"name": "scope", "in": "query", "schema": {"type": "string"}},
                    {"name": "own", "in": "query", "schema": {"type": "string", "enum": ["skip"]}},
                    {
                        "name": "log",
                        "in": "query",
                        "description": "the size of the device's last checkpoint: the page carries the latest"
                        " signed checkpoint and the consistency proof from it",
                        "schema": {"type": "integer", "minimum": 0, "maximum": SEQ_LIMIT},
                    },
                ],
                "responses": {
                    "200": {"description": "tables, deleted, cursor, more, hlc, scope (or reset)"},
                    **_REFUSALS,
                },
            }
        },
        "/v1/device/key": {
            "post": {
                "summary": "Register the public key this device signs its chain with (once; the same key again"
                " is harmless)",
                "security": _AUTH,
                "parameters": [_PROTOCOL_PARAMETER],
                "requestBody": _json_body(["key"], {"key": {"type": "string", "maxLength": 512}}),
                "responses": {
                    "200": {"description": "{registered: whether it is new, key}"},
                    **_REFUSALS,
                    "409": {"description": "this device has another key registered"},
                    "413": {"description": "too large a body"},
                },
            }
        },
        "/v1/log/cosign": {
            "post": {
                "summary": "The office's co-signature on a checkpoint the server signed (office devices only;"
                " the co-signing key never reaches the server)",
                "security": _AUTH,
                "parameters": [_PROTOCOL_PARAMETER],
                "requestBody": _json_body(["note"], {"note": {"type": "string", "maxLength": 4096}}),
                "responses": {
                    "200": {"description": "{cosigned: the checkpoint's size}"},
                    **_REFUSALS,
                    "403": {"description": "not an office device"},
                    "409": {"description": "not a checkpoint of this log signed by the district and the co-signer"},
                    "413": {"description": "too large a body"},
                },
            }
        },
        "/v1/files/wanted": {
            "post": {
                "summary": "Which of these attachment files the server lacks (with the bytes it holds of each),"
                " and which no attachment in the device's areas names",
                "security": _AUTH,
                "parameters": [_PROTOCOL_PARAMETER],
                "requestBody": _json_body(
                    ["sha256"],
                    {
                        "sha256": {
                            "type": "array",
                            "maxItems": MAX_WANTED,
                            "items": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                        }
                    },
                ),
                "responses": {
                    "200": {"description": "{missing: {sha256: bytes held}, unknown: [sha256]}"},
                    **_REFUSALS,
                    "413": {"description": "too many files asked about, or too large a body"},
                },
            }
        },
        "/v1/files/{sha256}": {
            "parameters": [
                {"name": "sha256", "in": "path", "required": True, "schema": {"type": "string"}},
            ],
            "put": {
                "summary": "One piece of an attachment's bytes at the offset the server holds",
                "security": _AUTH,
                "parameters": [
                    _PROTOCOL_PARAMETER,
                    {
                        "name": OFFSET_HEADER,
                        "in": "header",
                        "required": True,
                        "schema": {"type": "string"},
                        "description": "where the piece starts (a whole number: the bytes the server holds)",
                    },
                ],
                "requestBody": {
                    "required": True,
                    "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
                },
                "responses": {
                    "200": {"description": "{received, complete}"},
                    **_FILE_REFUSALS,
                    "409": {"description": "the piece is not at the offset held: {error, received}"},
                    "413": {"description": "a piece larger than 8 MiB"},
                    "422": {"description": "the whole file does not hash to its name (discarded)"},
                },
            },
            "get": {
                "summary": "An attachment's bytes (Range: bytes=N- resumes a cut download)",
                "security": _AUTH,
                "parameters": [
                    _PROTOCOL_PARAMETER,
                    {"name": "Range", "in": "header", "required": False, "schema": {"type": "string"}},
                ],
                "responses": {
                    "200": {"description": "the file"},
                    "206": {"description": "the file from the range's start"},
                    **_FILE_REFUSALS,
                    "409": {"description": "named, but not yet on the server"},
                    "416": {"description": "a range other than bytes=N- within the file"},
                },
            },
        },
        "/v1/numbers": {
            "post": {
                "summary": "Reserve a block of rectification-order numbers of a year for this device",
                "security": _AUTH,
                "parameters": [_PROTOCOL_PARAMETER],
                "requestBody": _json_body(["year"], {"year": {"type": "integer", "minimum": 2000, "maximum": 2100}}),
                "responses": {
                    "200": {"description": "{year, first, last}"},
                    **_REFUSALS,
                    "413": {"description": "too large a body"},
                },
            }
        },
    },
}
