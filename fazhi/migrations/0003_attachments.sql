-- Evidence files (佐证材料): stored once by content hash, linked to records.
CREATE TABLE attachments (
    sha256 VARCHAR PRIMARY KEY,
    size BIGINT NOT NULL,
    mime VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL
);

CREATE SEQUENCE record_attachment_id_seq START 1;
CREATE TABLE record_attachments (
    id BIGINT PRIMARY KEY DEFAULT nextval('record_attachment_id_seq'),
    record_id BIGINT NOT NULL,
    sha256 VARCHAR NOT NULL,
    filename VARCHAR NOT NULL,
    uploaded_by VARCHAR NOT NULL,
    uploaded_at TIMESTAMP NOT NULL,
    is_deleted BOOLEAN NOT NULL DEFAULT false
);
