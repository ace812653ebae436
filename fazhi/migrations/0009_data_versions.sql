-- Issue 16 (several app processes on one PostgreSQL database).
-- The counters caches key on (fazhi/db.py: data, figures, global, generation, and one per unit path '/1/5/'),
-- bumped in the committing transaction so every process sees every other's writes. The DuckDB file has one
-- process and keeps them in memory: the table stays empty there, made only so both schemas are the same.
CREATE TABLE data_versions (
    scope VARCHAR PRIMARY KEY,
    value BIGINT NOT NULL
);
