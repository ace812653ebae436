-- Issue 11 (年度报告 2.0).
-- The figures a section's draft quoted when staff saved it (JSON: [[indicator, lead words, figure], …]),
-- so a report whose saved text quotes a figure that has since changed is stopped and the new one offered.
ALTER TABLE narratives ADD COLUMN figures JSON;

-- Records staff marked as typical cases (典型案例): the report tells one or two of them.
CREATE TABLE typical_cases (
    record_id BIGINT PRIMARY KEY,
    marked_by VARCHAR NOT NULL,
    marked_at TIMESTAMP NOT NULL
);
