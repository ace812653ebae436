-- Issue 16 (several app processes on one PostgreSQL database).
-- The counters caches key on (fazhi/db.py: data, figures, global, generation, and one per unit path '/1/5/'),
-- bumped in the committing transaction so every process sees every other's writes.
CREATE TABLE data_versions (
    scope VARCHAR PRIMARY KEY,
    value BIGINT NOT NULL
);

-- DuckDB's functions that fazhi's SQL uses and PostgreSQL lacks, with DuckDB's meaning. Plain SQL functions,
-- which PostgreSQL inlines into the query (an index on the argument still serves).
CREATE FUNCTION list_contains(anycompatiblearray, anycompatible) RETURNS boolean
    LANGUAGE sql IMMUTABLE AS $$ SELECT $2 = ANY($1) $$;
CREATE FUNCTION list_position(anycompatiblearray, anycompatible) RETURNS integer
    LANGUAGE sql IMMUTABLE AS $$ SELECT array_position($1, $2) $$;
CREATE FUNCTION year(date) RETURNS bigint
    LANGUAGE sql IMMUTABLE AS $$ SELECT CAST(extract(year FROM $1) AS bigint) $$;
CREATE FUNCTION year(timestamp) RETURNS bigint
    LANGUAGE sql IMMUTABLE AS $$ SELECT CAST(extract(year FROM $1) AS bigint) $$;
CREATE FUNCTION month(date) RETURNS bigint
    LANGUAGE sql IMMUTABLE AS $$ SELECT CAST(extract(month FROM $1) AS bigint) $$;
CREATE FUNCTION month(timestamp) RETURNS bigint
    LANGUAGE sql IMMUTABLE AS $$ SELECT CAST(extract(month FROM $1) AS bigint) $$;
CREATE FUNCTION today() RETURNS date
    LANGUAGE sql STABLE AS $$ SELECT CURRENT_DATE $$;
CREATE FUNCTION ends_with(text, text) RETURNS boolean
    LANGUAGE sql IMMUTABLE AS $$ SELECT right($1, length($2)) = $2 $$;
CREATE FUNCTION regexp_full_match(text, text) RETURNS boolean
    LANGUAGE sql IMMUTABLE AS $$ SELECT $1 ~ ('^(?:' || $2 || ')$') $$;
