-- Issue 16: the per unit-year parts of the indicators (fazhi/unit_parts.py) read one unit's records of a
-- few years at a time. PostgreSQL finds them by an index (fazhi/migrations/0010_record_index.postgres.sql);
-- DuckDB scans its columns faster than it would keep an index current on every save, so it has none.
SELECT 1;
