-- Accounts (argon2 hashes only) and year locks (封账).
CREATE SEQUENCE user_id_seq START 1;
CREATE TABLE users (
    id INTEGER PRIMARY KEY DEFAULT nextval('user_id_seq'),
    username VARCHAR NOT NULL UNIQUE,
    display_name VARCHAR NOT NULL,
    password_hash VARCHAR NOT NULL,
    role VARCHAR NOT NULL CHECK (role IN ('admin', 'editor', 'viewer')),
    unit_id INTEGER NOT NULL,
    is_active BOOLEAN NOT NULL DEFAULT true,
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    locked_until TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    last_login_at TIMESTAMP
);

CREATE TABLE year_locks (
    unit_id INTEGER NOT NULL,
    year INTEGER NOT NULL,
    locked_by VARCHAR NOT NULL,
    locked_at TIMESTAMP NOT NULL,
    PRIMARY KEY (unit_id, year)
);
