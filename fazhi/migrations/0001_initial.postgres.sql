-- PostgreSQL's spelling of 0001_initial.sql (DOUBLE PRECISION, LOCALTIMESTAMP); the same tables.
-- Units, records with their field values, report narratives, targets and the audit log.
CREATE SEQUENCE unit_id_seq START 1;
CREATE TABLE units (
    id INTEGER PRIMARY KEY DEFAULT nextval('unit_id_seq'),
    name VARCHAR NOT NULL,
    level VARCHAR NOT NULL CHECK (level IN ('county', 'township', 'village')),
    parent_id INTEGER,
    path VARCHAR NOT NULL,            -- '/1/5/': ids of the ancestors and itself, for subtree filters
    sort_order INTEGER NOT NULL DEFAULT 0,
    is_demo BOOLEAN NOT NULL DEFAULT false,
    created_at TIMESTAMP NOT NULL DEFAULT LOCALTIMESTAMP
);

CREATE SEQUENCE record_id_seq START 1;
CREATE TABLE records (
    id BIGINT PRIMARY KEY DEFAULT nextval('record_id_seq'),
    unit_id INTEGER NOT NULL,
    type_code VARCHAR NOT NULL,
    title VARCHAR NOT NULL,
    start_on DATE NOT NULL,
    end_on DATE NOT NULL,
    place VARCHAR NOT NULL DEFAULT '',
    summary VARCHAR NOT NULL DEFAULT '',
    created_by VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_by VARCHAR NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    is_deleted BOOLEAN NOT NULL DEFAULT false,
    deleted_by VARCHAR,
    deleted_at TIMESTAMP,
    CHECK (end_on >= start_on)
);

-- One row per numeric (or text) field of a record, e.g. ('consultations', 85).
CREATE TABLE record_values (
    record_id BIGINT NOT NULL,
    field_code VARCHAR NOT NULL,
    num_value DOUBLE PRECISION,
    text_value VARCHAR,
    PRIMARY KEY (record_id, field_code)
);

-- Report text per year, unit and section, written or corrected by staff.
CREATE TABLE narratives (
    year INTEGER NOT NULL,
    unit_id INTEGER NOT NULL,
    section VARCHAR NOT NULL,
    body VARCHAR NOT NULL,
    updated_by VARCHAR NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (year, unit_id, section)
);

-- The year's target for an indicator; absent means the catalog default.
CREATE TABLE targets (
    year INTEGER NOT NULL,
    unit_id INTEGER NOT NULL,
    indicator_code VARCHAR NOT NULL,
    value DOUBLE PRECISION NOT NULL,
    updated_by VARCHAR NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (year, unit_id, indicator_code)
);

CREATE SEQUENCE audit_id_seq START 1;
CREATE TABLE audit_log (
    id BIGINT PRIMARY KEY DEFAULT nextval('audit_id_seq'),
    logged_at TIMESTAMP NOT NULL,
    username VARCHAR NOT NULL,
    action VARCHAR NOT NULL,          -- create, update, delete, restore, import, login, lock, …
    entity VARCHAR NOT NULL,          -- record, narrative, target, user, unit, year_lock, …
    entity_id VARCHAR,
    unit_id INTEGER,
    before_json JSON,
    after_json JSON
);
