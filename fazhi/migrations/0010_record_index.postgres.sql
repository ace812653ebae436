-- Issue 16: the per unit-year parts of the indicators (fazhi/unit_parts.py) read one unit's records of a
-- few years at a time: found by this index instead of a scan of every record.
CREATE INDEX records_unit_start ON records (unit_id, start_on);
