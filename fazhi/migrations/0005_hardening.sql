-- Issue 10 (安全加固).
-- Failed logins counted per typed username (NFKC, case-folded) and source address, so parallel guesses
-- count one each and a stranger's guesses lock the account only for the stranger's address; the row with
-- username '*' counts every failure of an address.
CREATE TABLE login_failures (
    username_key VARCHAR NOT NULL,
    address VARCHAR NOT NULL,
    failures INTEGER NOT NULL,
    first_at TIMESTAMP NOT NULL,
    locked_until TIMESTAMP,
    PRIMARY KEY (username_key, address)
);

-- 封账 remembers the unit of the administrator who set it: only that unit or one above it lifts it.
-- NULL (locks from before) means the locked unit itself.
ALTER TABLE year_locks ADD COLUMN set_by_unit_id INTEGER;
-- What the locked year's report showed that lives outside the year (unit names, report settings, the
-- template's checksum), kept so later renames and settings change only the years still open.
ALTER TABLE year_locks ADD COLUMN frozen JSON;
