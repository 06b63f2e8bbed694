"""The tables of a SafeCity database, as numbered migrations.

Who reads this: `schema.store.connection.connect`, which brings every database it opens (a laptop's local
copy or the embedded district server's store) up to `SCHEMA_VERSION`, and refuses a file that
is newer than this code. A migration, once released, is never edited: a change is a new entry
at the end of `MIGRATIONS`. `PRAGMA user_version` records how far a file has come.

Conventions every synced table follows (the sync engine relies on them):
- `id TEXT PRIMARY KEY`: a UUIDv7 made where the row was created (`schema.ids`).
- `row_version INTEGER NOT NULL DEFAULT 0`: the server's version of the row. A row made on a
  laptop is written at 1, the version the server gives every new row when it accepts it.
  A local edit records it as the op's base version.
- `area`: the town/zone code the row belongs to, which is what a device's scope is made of.
  Reference tables (areas, criteria, the calendar) carry no `area` and go to every device.
Dates are ISO-8601 text (`YYYY-MM-DD`), times are ISO-8601 UTC text, lists are JSON text.
"""

from __future__ import annotations

import re

V1_DOMAIN = """
CREATE TABLE area (
    id TEXT PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    parent_code TEXT,
    level TEXT NOT NULL CHECK (level IN ('district', 'town', 'community', 'grid')),
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL,
    is_pilot INTEGER NOT NULL DEFAULT 0,
    row_version INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE unit (
    id TEXT PRIMARY KEY,
    uscc TEXT,
    name TEXT NOT NULL,
    name_en TEXT,
    kind TEXT NOT NULL,
    industry TEXT NOT NULL,
    area TEXT NOT NULL,
    community TEXT,
    address TEXT,
    risk_colour TEXT NOT NULL DEFAULT 'blue'
        CHECK (risk_colour IN ('red', 'orange', 'yellow', 'blue')),
    is_pilot INTEGER NOT NULL DEFAULT 0,
    contact_name TEXT,
    contact_phone TEXT,
    row_version INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX unit_by_area ON unit (area, name);

CREATE TABLE responsibility (
    id TEXT PRIMARY KEY,
    unit_id TEXT NOT NULL REFERENCES unit (id),
    area TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN (
        'main', 'territorial', 'sector_supervision', 'comprehensive_supervision')),
    person TEXT NOT NULL,
    org TEXT,
    phone TEXT,
    valid_from TEXT,
    valid_to TEXT,
    row_version INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX responsibility_by_unit ON responsibility (unit_id);

CREATE TABLE checklist (
    id TEXT PRIMARY KEY,
    industry TEXT NOT NULL,
    edition INTEGER NOT NULL,
    title TEXT NOT NULL,
    published_on TEXT,
    row_version INTEGER NOT NULL DEFAULT 0,
    UNIQUE (industry, edition)
);

CREATE TABLE criterion (
    id TEXT PRIMARY KEY,
    checklist_id TEXT NOT NULL REFERENCES checklist (id),
    code TEXT NOT NULL,
    text_zh TEXT NOT NULL,
    text_en TEXT NOT NULL,
    legal_basis TEXT,
    category TEXT,
    applies_to TEXT,
    major_if_failed INTEGER NOT NULL DEFAULT 0,
    default_days INTEGER NOT NULL DEFAULT 30,
    row_version INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX criterion_by_checklist ON criterion (checklist_id, code);

CREATE TABLE plan (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN (
        'routine', 'campaign', 'enforcement', 'unannounced', 'lookback')),
    title TEXT NOT NULL,
    area TEXT NOT NULL,
    starts_on TEXT,
    ends_on TEXT,
    row_version INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE task (
    id TEXT PRIMARY KEY,
    plan_id TEXT REFERENCES plan (id),
    unit_id TEXT NOT NULL REFERENCES unit (id),
    area TEXT NOT NULL,
    assignees TEXT NOT NULL DEFAULT '[]',
    due_on TEXT,
    status TEXT NOT NULL DEFAULT 'planned' CHECK (status IN (
        'planned', 'in_progress', 'done', 'wont_do', 'missed')),
    reason TEXT,
    row_version INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX task_by_area_due ON task (area, due_on);

CREATE TABLE inspection (
    id TEXT PRIMARY KEY,
    task_id TEXT REFERENCES task (id),
    unit_id TEXT NOT NULL REFERENCES unit (id),
    area TEXT NOT NULL,
    inspectors TEXT NOT NULL DEFAULT '[]',
    checklist_id TEXT REFERENCES checklist (id),
    started_at TEXT,
    ended_at TEXT,
    status TEXT NOT NULL DEFAULT 'in_progress' CHECK (status IN ('in_progress', 'finished')),
    summary TEXT,
    row_version INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX inspection_by_unit ON inspection (unit_id);

CREATE TABLE inspection_result (
    id TEXT PRIMARY KEY,
    inspection_id TEXT NOT NULL REFERENCES inspection (id),
    criterion_id TEXT NOT NULL REFERENCES criterion (id),
    area TEXT NOT NULL,
    result TEXT NOT NULL CHECK (result IN ('pass', 'fail', 'na')),
    note TEXT,
    photos TEXT NOT NULL DEFAULT '[]',
    recorded_at TEXT,
    row_version INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX inspection_result_by_inspection ON inspection_result (inspection_id);

CREATE TABLE hazard (
    id TEXT PRIMARY KEY,
    unit_id TEXT NOT NULL REFERENCES unit (id),
    area TEXT NOT NULL,
    inspection_id TEXT REFERENCES inspection (id),
    criterion_id TEXT REFERENCES criterion (id),
    description TEXT NOT NULL,
    location TEXT,
    source TEXT NOT NULL DEFAULT 'inspection' CHECK (source IN (
        'inspection', 'self_inspection', 'grid_report', 'complaint')),
    grade TEXT NOT NULL DEFAULT 'general' CHECK (grade IN ('general', 'major')),
    found_at TEXT NOT NULL,
    found_by TEXT,
    rectifier TEXT,
    rectifier_unit TEXT,
    deadline TEXT,
    funds REAL,
    stop_production INTEGER NOT NULL DEFAULT 0,
    five_implementations TEXT,
    responsibility_snapshot TEXT NOT NULL DEFAULT '[]',
    status TEXT NOT NULL DEFAULT 'reported' CHECK (status IN (
        'reported', 'rectifying', 'awaiting_verification', 'closed', 'void')),
    void_reason TEXT,
    linked_hazard_id TEXT,
    link_kind TEXT CHECK (link_kind IN ('recurrence', 'duplicate')),
    closed_at TEXT,
    row_version INTEGER NOT NULL DEFAULT 0
);
-- Triage reads open hazards of an area by deadline; the unit page reads a unit's hazards.
CREATE INDEX hazard_by_area_status_deadline ON hazard (area, status, deadline);
CREATE INDEX hazard_by_status_deadline ON hazard (status, deadline);
CREATE INDEX hazard_by_unit ON hazard (unit_id, status);
CREATE INDEX hazard_by_status_grade_deadline ON hazard (status, grade, deadline);
CREATE INDEX hazard_by_grade_deadline ON hazard (grade, deadline);

CREATE TABLE rectification_order (
    id TEXT PRIMARY KEY,
    doc_number TEXT NOT NULL,
    hazard_ids TEXT NOT NULL DEFAULT '[]',
    unit_id TEXT NOT NULL REFERENCES unit (id),
    area TEXT NOT NULL,
    deadline TEXT NOT NULL,
    served_to TEXT,
    served_on TEXT,
    signed_on TEXT,
    row_version INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE progress (
    id TEXT PRIMARY KEY,
    hazard_id TEXT NOT NULL REFERENCES hazard (id),
    area TEXT NOT NULL,
    note TEXT NOT NULL,
    at TEXT NOT NULL,
    author TEXT,
    row_version INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX progress_by_hazard ON progress (hazard_id);

CREATE TABLE verification (
    id TEXT PRIMARY KEY,
    hazard_id TEXT NOT NULL REFERENCES hazard (id),
    area TEXT NOT NULL,
    result TEXT NOT NULL CHECK (result IN ('pass', 'fail')),
    opinion TEXT NOT NULL,
    at TEXT NOT NULL,
    author TEXT,
    row_version INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX verification_by_hazard ON verification (hazard_id);

CREATE TABLE extension (
    id TEXT PRIMARY KEY,
    hazard_id TEXT NOT NULL REFERENCES hazard (id),
    area TEXT NOT NULL,
    reason TEXT NOT NULL,
    proposed_deadline TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'requested' CHECK (status IN ('requested', 'approved', 'refused')),
    decided_by TEXT,
    decided_at TEXT,
    decision_note TEXT,
    row_version INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE listing (
    id TEXT PRIMARY KEY,
    hazard_id TEXT NOT NULL REFERENCES hazard (id),
    area TEXT NOT NULL,
    level TEXT NOT NULL,
    authority TEXT NOT NULL,
    published_on TEXT,
    delisted_on TEXT,
    row_version INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX listing_by_hazard ON listing (hazard_id);

CREATE TABLE escalation (
    id TEXT PRIMARY KEY,
    hazard_id TEXT NOT NULL REFERENCES hazard (id),
    area TEXT NOT NULL,
    level TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'proposed' CHECK (status IN ('proposed', 'issued', 'dismissed')),
    reason TEXT,
    decided_by TEXT,
    decided_at TEXT,
    row_version INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE lookback (
    id TEXT PRIMARY KEY,
    area TEXT NOT NULL,
    unit_id TEXT REFERENCES unit (id),
    hazard_id TEXT REFERENCES hazard (id),
    criterion_id TEXT REFERENCES criterion (id),
    gap TEXT NOT NULL,
    cause TEXT,
    measure TEXT,
    owner TEXT,
    deadline TEXT,
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'in_progress', 'done')),
    evidence TEXT,
    row_version INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE assessment (
    id TEXT PRIMARY KEY,
    period TEXT NOT NULL,
    indicator_code TEXT NOT NULL,
    self_score REAL,
    evidence TEXT,
    row_version INTEGER NOT NULL DEFAULT 0
);

-- The holiday calendar is data: official holidays, and the weekend days that are working
-- days by swap (调休).
CREATE TABLE holiday (
    id TEXT PRIMARY KEY,
    day TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('holiday', 'workday')),
    name TEXT,
    row_version INTEGER NOT NULL DEFAULT 0
);

-- A concurrent edit of a designated field, kept for a person to resolve (shared/SYNC.md).
CREATE TABLE conflict (
    id TEXT PRIMARY KEY,
    table_name TEXT NOT NULL,
    row_id TEXT NOT NULL,
    area TEXT,
    field TEXT NOT NULL,
    base_value TEXT,
    server_value TEXT,
    server_by TEXT,
    server_device TEXT,
    incoming_value TEXT,
    incoming_by TEXT,
    incoming_device TEXT,
    op_id TEXT,
    created_at TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved')),
    kept TEXT,
    reason TEXT,
    resolved_by TEXT,
    resolved_at TEXT,
    row_version INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX conflict_by_status ON conflict (status);

-- The append-only event log: who changed what, when, from which device. A laptop's own
-- events with status 'pending' are its sync outbox; they are written by `schema.writes` in
-- the same transaction as the change they describe. Values are JSON objects.
CREATE TABLE event (
    id TEXT PRIMARY KEY,
    device_id TEXT NOT NULL,
    device_seq INTEGER NOT NULL,
    hlc INTEGER NOT NULL,
    actor TEXT NOT NULL,
    at TEXT NOT NULL,
    table_name TEXT NOT NULL,
    row_id TEXT NOT NULL,
    area TEXT,
    action TEXT NOT NULL,
    fields TEXT NOT NULL DEFAULT '{}',
    old TEXT NOT NULL DEFAULT '{}',
    base_version INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN (
        'pending', 'applied', 'superseded', 'conflict', 'rejected')),
    reason TEXT,
    row_version INTEGER NOT NULL DEFAULT 0,
    UNIQUE (device_id, device_seq)
);
CREATE INDEX event_by_row ON event (row_id);
CREATE INDEX event_pending ON event (status, device_seq) WHERE status != 'applied';

-- Local settings of this file: schema facts, the device identity, the clock, sync cursors,
-- the local rules. Never synced.
CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""

# Full-text search over hazard and unit text. The indexed text is pre-split by
# `schema.store.search.fts_text` (every CJK character a token), so a two-character Chinese query
# finds longer words: 消防 finds 消防通道堵塞. The triggers call that function, which
# `schema.store.connection.connect` registers on every connection. While a large pull is written, the
# triggers stand down (meta 'search_deferred') and the index is rebuilt once at the end.
V1_SEARCH = """
CREATE VIRTUAL TABLE hazard_fts USING fts5(body, tokenize = 'unicode61 remove_diacritics 2');
CREATE TRIGGER hazard_fts_insert AFTER INSERT ON hazard
WHEN NOT EXISTS (SELECT 1 FROM meta WHERE key = 'search_deferred') BEGIN
    INSERT INTO hazard_fts (rowid, body)
    VALUES (new.rowid, fts_text(new.description, new.location, new.rectifier));
END;
CREATE TRIGGER hazard_fts_update AFTER UPDATE OF description, location, rectifier ON hazard
WHEN NOT EXISTS (SELECT 1 FROM meta WHERE key = 'search_deferred') BEGIN
    UPDATE hazard_fts SET body = fts_text(new.description, new.location, new.rectifier)
    WHERE rowid = new.rowid;
END;
CREATE TRIGGER hazard_fts_delete AFTER DELETE ON hazard BEGIN
    DELETE FROM hazard_fts WHERE rowid = old.rowid;
END;

CREATE VIRTUAL TABLE unit_fts USING fts5(body, tokenize = 'unicode61 remove_diacritics 2');
CREATE TRIGGER unit_fts_insert AFTER INSERT ON unit
WHEN NOT EXISTS (SELECT 1 FROM meta WHERE key = 'search_deferred') BEGIN
    INSERT INTO unit_fts (rowid, body)
    VALUES (new.rowid, fts_text(new.name, new.name_en, new.address, new.uscc));
END;
CREATE TRIGGER unit_fts_update AFTER UPDATE OF name, name_en, address, uscc ON unit
WHEN NOT EXISTS (SELECT 1 FROM meta WHERE key = 'search_deferred') BEGIN
    UPDATE unit_fts SET body = fts_text(new.name, new.name_en, new.address, new.uscc)
    WHERE rowid = new.rowid;
END;
CREATE TRIGGER unit_fts_delete AFTER DELETE ON unit BEGIN
    DELETE FROM unit_fts WHERE rowid = old.rowid;
END;
"""

# The district office's work (accountability, supervision, looking back). Rectification orders
# are numbered from blocks the district server reserves per device (`doc_year`, `doc_seq`), so
# two laptops offline can never issue the same number. Escalations keep the accountability
# record: the unit and the responsible persons frozen on the hazard. A look-back review holds
# items; an item may point at the new hazard a recurrence created.
V2_OFFICE = """
ALTER TABLE rectification_order ADD COLUMN doc_year INTEGER;
ALTER TABLE rectification_order ADD COLUMN doc_seq INTEGER;
ALTER TABLE rectification_order ADD COLUMN issued_on TEXT;
ALTER TABLE rectification_order ADD COLUMN issued_by TEXT;
ALTER TABLE rectification_order ADD COLUMN requirements TEXT;
ALTER TABLE rectification_order ADD COLUMN signed_by TEXT;
CREATE UNIQUE INDEX rectification_order_by_number ON rectification_order (doc_year, doc_seq);

ALTER TABLE extension ADD COLUMN old_deadline TEXT;
ALTER TABLE extension ADD COLUMN requested_by TEXT;
ALTER TABLE extension ADD COLUMN requested_at TEXT;
CREATE INDEX extension_by_hazard ON extension (hazard_id, status);

ALTER TABLE escalation ADD COLUMN unit_id TEXT;
ALTER TABLE escalation ADD COLUMN days_overdue INTEGER;
ALTER TABLE escalation ADD COLUMN persons TEXT NOT NULL DEFAULT '[]';
CREATE INDEX escalation_by_hazard ON escalation (hazard_id, level);

CREATE TABLE lookback_review (
    id TEXT PRIMARY KEY,
    area TEXT NOT NULL,
    unit_id TEXT REFERENCES unit (id),
    title TEXT NOT NULL,
    reviewed_on TEXT NOT NULL,
    reviewer TEXT,
    summary TEXT,
    row_version INTEGER NOT NULL DEFAULT 0
);
ALTER TABLE lookback ADD COLUMN review_id TEXT REFERENCES lookback_review (id);
ALTER TABLE lookback ADD COLUMN recurrence_id TEXT;
CREATE INDEX lookback_by_review ON lookback (review_id);
"""


def _checks_as_comparisons(ddl: str) -> str:
    """The statements that rewrite every `CHECK (x IN ('a', 'b', ...))` of `ddl` as
    `CHECK (x = 'a' OR x = 'b' ...)`, table by table."""
    statements = []
    for table, body in re.findall(r"CREATE TABLE (\w+) \((.*?)\n\);", ddl, re.DOTALL):
        for check, column, values in re.findall(r"(CHECK \((\w+) IN \(([^)]*)\)\))", body):
            comparisons = " OR ".join(f"{column} = {value}" for value in re.findall(r"'[^']*'", values))
            old, new = check.replace("'", "''"), f"CHECK ({comparisons})".replace("'", "''")
            statements.append(
                f"UPDATE sqlite_master SET sql = replace(sql, '{old}', '{new}')"
                f" WHERE type = 'table' AND name = '{table}';"
            )
    return "\n".join(["PRAGMA writable_schema = ON;", *statements, "PRAGMA writable_schema = OFF;"])


# The same rules, checked faster. SQLite checks `x IN (<more than two values>)` by building a
# lookup table, again for every row a bulk write (one statement run once per row) inserts:
# 2.5 microseconds a check, half a second of a 100,000-hazard pull. Comparisons are checked in
# place. SQLite cannot ALTER a constraint, but an equivalent one may be written into the schema
# text (sqlite.org/lang_altertable.html, "other kinds of table schema changes"); every row
# already satisfies it, so nothing is rewritten. `schema.store.connection` bumps the schema cookie after it.
# PostgreSQL keeps its IN lists (`sync.server.backends.postgres` skips this migration's statements).
V3_FAST_CHECKS = _checks_as_comparisons(V1_DOMAIN + V2_OFFICE)

# The search index without a second copy of the text. A contentless FTS5 table keeps only the
# index (queries only ever ask which rowids match), so building it for a 100,000-hazard snapshot
# writes a third less. Such a table forgets a row only when told the exact text it indexed, so
# the update and delete triggers pass the old values; while indexing is deferred (a large pull)
# the triggers stand down entirely and the index is rebuilt from the rows afterwards.
V4_SEARCH_INDEX_ONLY = """
DROP TRIGGER IF EXISTS hazard_fts_insert;
DROP TRIGGER IF EXISTS hazard_fts_update;
DROP TRIGGER IF EXISTS hazard_fts_delete;
DROP TRIGGER IF EXISTS unit_fts_insert;
DROP TRIGGER IF EXISTS unit_fts_update;
DROP TRIGGER IF EXISTS unit_fts_delete;
DROP TABLE IF EXISTS hazard_fts;
DROP TABLE IF EXISTS unit_fts;

CREATE VIRTUAL TABLE hazard_fts USING fts5(body, content = '', tokenize = 'unicode61 remove_diacritics 2');
CREATE TRIGGER hazard_fts_insert AFTER INSERT ON hazard
WHEN NOT EXISTS (SELECT 1 FROM meta WHERE key = 'search_deferred') BEGIN
    INSERT INTO hazard_fts (rowid, body) VALUES (new.rowid, fts_text(new.description, new.location, new.rectifier));
END;
CREATE TRIGGER hazard_fts_update AFTER UPDATE OF description, location, rectifier ON hazard
WHEN NOT EXISTS (SELECT 1 FROM meta WHERE key = 'search_deferred') BEGIN
    INSERT INTO hazard_fts (hazard_fts, rowid, body)
    VALUES ('delete', old.rowid, fts_text(old.description, old.location, old.rectifier));
    INSERT INTO hazard_fts (rowid, body) VALUES (new.rowid, fts_text(new.description, new.location, new.rectifier));
END;
CREATE TRIGGER hazard_fts_delete AFTER DELETE ON hazard
WHEN NOT EXISTS (SELECT 1 FROM meta WHERE key = 'search_deferred') BEGIN
    INSERT INTO hazard_fts (hazard_fts, rowid, body)
    VALUES ('delete', old.rowid, fts_text(old.description, old.location, old.rectifier));
END;
INSERT INTO hazard_fts (rowid, body) SELECT rowid, fts_text(description, location, rectifier) FROM hazard;

CREATE VIRTUAL TABLE unit_fts USING fts5(body, content = '', tokenize = 'unicode61 remove_diacritics 2');
CREATE TRIGGER unit_fts_insert AFTER INSERT ON unit
WHEN NOT EXISTS (SELECT 1 FROM meta WHERE key = 'search_deferred') BEGIN
    INSERT INTO unit_fts (rowid, body) VALUES (new.rowid, fts_text(new.name, new.name_en, new.address, new.uscc));
END;
CREATE TRIGGER unit_fts_update AFTER UPDATE OF name, name_en, address, uscc ON unit
WHEN NOT EXISTS (SELECT 1 FROM meta WHERE key = 'search_deferred') BEGIN
    INSERT INTO unit_fts (unit_fts, rowid, body)
    VALUES ('delete', old.rowid, fts_text(old.name, old.name_en, old.address, old.uscc));
    INSERT INTO unit_fts (rowid, body) VALUES (new.rowid, fts_text(new.name, new.name_en, new.address, new.uscc));
END;
CREATE TRIGGER unit_fts_delete AFTER DELETE ON unit
WHEN NOT EXISTS (SELECT 1 FROM meta WHERE key = 'search_deferred') BEGIN
    INSERT INTO unit_fts (unit_fts, rowid, body)
    VALUES ('delete', old.rowid, fts_text(old.name, old.name_en, old.address, old.uscc));
END;
INSERT INTO unit_fts (rowid, body) SELECT rowid, fts_text(name, name_en, address, uscc) FROM unit;
"""

# When the district server received each event (issue 15): the event's `at` is the device's
# word; this is the server's, written as it stores the event, so the log shows both.
V5_RECEIVED_AT = """
ALTER TABLE event ADD COLUMN received_at TEXT;
"""

# Evidence (issue 17): photos and documents attached to the record, as synced append-only rows
# naming their bytes by SHA-256; the bytes live in a content-addressed store beside the database
# (`schema.store.files`). `file_copy` is each database's own account of those bytes (held here,
# sent to the server), never synced. The CHECKs are comparisons, as migration 3 made the others. `setting` holds the district's synced rules (the evidence a
# closure needs), written by the office and pulled by every laptop.
V6_EVIDENCE = """
CREATE TABLE attachment (
    id TEXT PRIMARY KEY,
    owner_table TEXT NOT NULL CHECK (owner_table = 'hazard' OR owner_table = 'progress'
        OR owner_table = 'verification' OR owner_table = 'inspection_result'
        OR owner_table = 'rectification_order' OR owner_table = 'lookback'),
    owner_id TEXT NOT NULL,
    area TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role = 'before' OR role = 'after' OR role = 'evidence'
        OR role = 'signed_receipt' OR role = 'document'),
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    media_type TEXT NOT NULL,
    original_name TEXT,
    taken_at TEXT,
    captured_by TEXT,
    captured_at TEXT,
    width INTEGER,
    height INTEGER,
    thumb_sha256 TEXT,
    thumb_size INTEGER,
    row_version INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX attachment_by_owner ON attachment (owner_id);
CREATE INDEX attachment_by_sha256 ON attachment (sha256);
CREATE INDEX attachment_by_thumb ON attachment (thumb_sha256);

CREATE TABLE setting (
    id TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    row_version INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE file_copy (
    sha256 TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    here INTEGER NOT NULL DEFAULT 0,
    sent INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX file_copy_unsent ON file_copy (sent) WHERE sent = 0;
"""

# The signed log (issue 18): each event carries the hash of its canonical form and the hash of
# its device's previous event (`schema.chain`), and, once the district server has taken it, its
# place in the district log. Events written before this migration have none: the log begins here.
V7_EVENT_CHAIN = """
ALTER TABLE event ADD COLUMN hash TEXT;
ALTER TABLE event ADD COLUMN prev TEXT;
ALTER TABLE event ADD COLUMN log_index INTEGER;
CREATE UNIQUE INDEX event_by_log_index ON event (log_index);
"""

MIGRATIONS: list[str] = [
    V1_DOMAIN + V1_SEARCH,
    V2_OFFICE,
    V3_FAST_CHECKS,
    V4_SEARCH_INDEX_ONLY,
    V5_RECEIVED_AT,
    V6_EVIDENCE,
    V7_EVENT_CHAIN,
]
"""Migration N (1-based) is `MIGRATIONS[N - 1]`; a database at user_version N has run 1..N."""

SCHEMA_VERSION = len(MIGRATIONS)
