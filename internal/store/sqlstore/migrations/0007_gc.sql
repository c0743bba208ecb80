-- Garbage collection. gc_orphans is the generation mark: blobs that no
-- row names (no lfs_objects row, no xorb), with the time a gc run first
-- saw them so. A blob is deleted only by a later run, once it has been an
-- orphan for the whole grace period.
CREATE TABLE gc_orphans (
    oid         TEXT PRIMARY KEY,
    size        BIGINT NOT NULL,
    first_seen  BIGINT NOT NULL
);

-- One gc at a time across replicas: the run holding the lease (until
-- expires_at, Unix ms) is the only one that modifies anything.
CREATE TABLE gc_lease (
    name        TEXT PRIMARY KEY,
    holder      TEXT NOT NULL,
    expires_at  BIGINT NOT NULL
);
INSERT INTO gc_lease (name, holder, expires_at) VALUES ('gc', '', 0);
