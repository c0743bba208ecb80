-- Storage accounting. A repo's usage is the sum of the sizes of the distinct
-- LFS/Xet contents (by sha256) named by any LFS pointer blob stored for the
-- repo: objects are per repo and only commits and pushes write them, so this
-- is its whole history, PR refs included. The rows are added in the
-- transaction that writes the pointer blobs, removed with the repo, and
-- recounted by gc when it removes objects nothing reaches (squash).
CREATE TABLE repo_usage_oids (
    repo_id  BIGINT NOT NULL,
    oid      TEXT NOT NULL,
    size     BIGINT NOT NULL,
    PRIMARY KEY (repo_id, oid)
);
CREATE INDEX repo_usage_oids_by_oid ON repo_usage_oids (oid);

INSERT INTO repo_usage_oids (repo_id, oid, size)
    SELECT repo_id, lfs_oid, MAX(lfs_size) FROM objects WHERE lfs_oid IS NOT NULL GROUP BY repo_id, lfs_oid;

-- Quotas per namespace (user or organization), by lower-cased name.
-- private_only: only the usage of private repos counts, and only uploads to
-- private repos are checked.
CREATE TABLE quotas (
    namespace_lower  TEXT PRIMARY KEY,
    limit_bytes      BIGINT NOT NULL,
    private_only     BOOLEAN NOT NULL DEFAULT FALSE,
    updated_at       BIGINT NOT NULL
);

-- Bytes promised to uploads that are not counted yet (uploaded, not yet
-- committed). A reservation stops counting when its content is counted for
-- its repo, or when it expires.
CREATE TABLE quota_reservations (
    namespace_lower  TEXT NOT NULL,
    repo_id          BIGINT NOT NULL,
    oid              TEXT NOT NULL,
    size             BIGINT NOT NULL,
    expires_at       BIGINT NOT NULL,
    PRIMARY KEY (namespace_lower, repo_id, oid)
);
