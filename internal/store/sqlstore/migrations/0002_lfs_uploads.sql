-- Multipart LFS uploads in flight. The parts are written at their offsets
-- into one staging file; completion verifies it and publishes it.
CREATE TABLE lfs_uploads (
    id          TEXT PRIMARY KEY,
    repo_id     BIGINT NOT NULL,
    oid         TEXT NOT NULL,
    size        BIGINT NOT NULL,
    chunk_size  BIGINT NOT NULL,
    parts       INTEGER NOT NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX lfs_uploads_by_oid ON lfs_uploads (repo_id, oid);

CREATE TABLE lfs_upload_parts (
    upload_id  TEXT NOT NULL,
    part       INTEGER NOT NULL,
    etag       TEXT NOT NULL,
    PRIMARY KEY (upload_id, part)
);
