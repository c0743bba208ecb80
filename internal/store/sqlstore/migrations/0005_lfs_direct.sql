-- Uploads that go straight to the blob backend (S3) instead of through
-- Wharf. A multipart upload records the backend's upload id; its parts are
-- never seen by Wharf, whose completion verifies the assembled object.
ALTER TABLE lfs_uploads ADD COLUMN backend_upload TEXT NOT NULL DEFAULT '';

-- Basic uploads to a presigned, checksum-bound PUT: the staging name a
-- repo's upload of an object lands under, until the verify action
-- publishes it.
CREATE TABLE lfs_direct_puts (
    staging     TEXT PRIMARY KEY,
    repo_id     BIGINT NOT NULL,
    oid         TEXT NOT NULL,
    size        BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX lfs_direct_puts_by_oid ON lfs_direct_puts (repo_id, oid);
