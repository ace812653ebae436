-- PostgreSQL's spelling of 0007_submissions.sql (BYTEA for BLOB); the same tables.
-- Issue 15 (区县的一年：报送、审核、公开、比较).
-- A township's submitted year: every submission is kept (round 1, then 2, … after each return) with what
-- was frozen at that moment: the generated .docx, the indicator table as JSON text (byte for byte what its
-- checksum covers), the evidence index, the record count and the checksums. Only `state` ever changes,
-- by a conditional UPDATE (… WHERE id = ? AND state = ?), so of two reviewers one wins.
CREATE SEQUENCE submission_id_seq START 1;
CREATE TABLE submissions (
    id BIGINT PRIMARY KEY DEFAULT nextval('submission_id_seq'),
    unit_id INTEGER NOT NULL,
    year INTEGER NOT NULL,
    round INTEGER NOT NULL,
    state VARCHAR NOT NULL CHECK (state IN ('submitted', 'returned', 'approved')),
    submitted_by VARCHAR NOT NULL,
    submitted_at TIMESTAMP NOT NULL,
    record_count INTEGER NOT NULL,
    records_sha256 VARCHAR NOT NULL,   -- of the canonical JSON of the unit-year's records (fazhi/year_content.py)
    docx BYTEA NOT NULL,
    docx_sha256 VARCHAR NOT NULL,
    indicators VARCHAR NOT NULL,       -- JSON text of the indicator table
    indicators_sha256 VARCHAR NOT NULL,
    evidence VARCHAR NOT NULL,         -- JSON text of the evidence index: record, file name, size, sha256
    source VARCHAR NOT NULL DEFAULT 'online' CHECK (source IN ('online', 'package')),
    package_sha256 VARCHAR             -- content checksum of the 报送包 it came from (a second receive is a no-op)
);

-- Review decisions (通过 / 退回 with a comment): one row each, never changed.
CREATE SEQUENCE submission_decision_id_seq START 1;
CREATE TABLE submission_decisions (
    id BIGINT PRIMARY KEY DEFAULT nextval('submission_decision_id_seq'),
    submission_id BIGINT NOT NULL,
    action VARCHAR NOT NULL CHECK (action IN ('approve', 'return')),
    comment VARCHAR NOT NULL,
    decided_by VARCHAR NOT NULL,
    decided_unit_id INTEGER,           -- the reviewer's unit (NULL: the command line)
    decided_at TIMESTAMP NOT NULL
);

-- The date by which a county wants its townships' reports of a year.
CREATE TABLE submission_deadlines (
    county_id INTEGER NOT NULL,
    year INTEGER NOT NULL,
    due_on DATE NOT NULL,
    set_by VARCHAR NOT NULL,
    set_at TIMESTAMP NOT NULL,
    PRIMARY KEY (county_id, year)
);

-- Where and when a unit published its report of a year (公开; due before 4月1日 of the next year).
CREATE TABLE publications (
    unit_id INTEGER NOT NULL,
    year INTEGER NOT NULL,
    published_on DATE NOT NULL,
    url VARCHAR NOT NULL,
    recorded_by VARCHAR NOT NULL,
    recorded_at TIMESTAMP NOT NULL,
    PRIMARY KEY (unit_id, year)
);

-- A lock held by the submission workflow: 'submitted' (set by the township when it submits, lifted only by a
-- return) or 'approved' (set by the reviewing level). NULL: an ordinary 封账.
ALTER TABLE year_locks ADD COLUMN workflow VARCHAR;
