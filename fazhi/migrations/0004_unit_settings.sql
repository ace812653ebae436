-- Per-unit settings: 主送机关, exact numbers instead of "余", a custom report template, ….
CREATE TABLE unit_settings (
    unit_id INTEGER NOT NULL,
    key VARCHAR NOT NULL,
    value VARCHAR NOT NULL,
    PRIMARY KEY (unit_id, key)
);
