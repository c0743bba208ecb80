-- Xet storage. Xorbs are blobs in the blob store (keyed by the sha256 of
-- their serialized chunks); these rows make them visible once verified.
-- chunks packs the xorb's chunk index: per chunk, its raw 32-byte hash, then
-- its uncompressed length and its stored payload length (u32 LE each).
CREATE TABLE xet_xorbs (
    hash        TEXT PRIMARY KEY,
    blob_oid    TEXT NOT NULL,
    size        BIGINT NOT NULL,
    raw_size    BIGINT NOT NULL,
    nchunks     INTEGER NOT NULL,
    chunks      {{BYTES}} NOT NULL,
    created_at  BIGINT NOT NULL
);

-- Files registered by shard uploads: terms packs the ordered terms (xorb
-- hash raw 32 bytes, chunk start u32, chunk end u32, unpacked bytes u32).
-- sha256 was computed by the server from the reconstructed bytes.
CREATE TABLE xet_files (
    hash        TEXT PRIMARY KEY,
    size        BIGINT NOT NULL,
    sha256      TEXT NOT NULL,
    terms       {{BYTES}} NOT NULL,
    created_at  BIGINT NOT NULL
);

-- Global dedup index: chunks eligible for dedup queries (the first chunk of
-- each file, and chunks whose hash is 0 mod 1024) and the xorb holding them.
CREATE TABLE xet_dedup (
    chunk_hash  TEXT PRIMARY KEY,
    xorb_hash   TEXT NOT NULL,
    file_hash   TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);

-- Content known by sha256 may be stored as a blob, as a Xet file, or both.
-- repo_lfs links content to repos either way.
ALTER TABLE lfs_objects ADD COLUMN xet_hash TEXT;
CREATE INDEX lfs_objects_by_xet ON lfs_objects (xet_hash);
