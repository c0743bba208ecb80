-- Accounts are users and organizations; names share one namespace.
CREATE TABLE accounts (
    id          {{ID}},
    name        TEXT NOT NULL,
    name_lower  TEXT NOT NULL UNIQUE,
    fullname    TEXT NOT NULL DEFAULT '',
    email       TEXT NOT NULL DEFAULT '',
    is_org      BOOLEAN NOT NULL DEFAULT FALSE,
    is_admin    BOOLEAN NOT NULL DEFAULT FALSE,
    created_at  BIGINT NOT NULL
);

CREATE TABLE org_members (
    org_id   BIGINT NOT NULL,
    user_id  BIGINT NOT NULL,
    role     TEXT NOT NULL,
    PRIMARY KEY (org_id, user_id)
);

-- Tokens are stored as the hex sha256 of their value, never in clear.
CREATE TABLE tokens (
    id            {{ID}},
    account_id    BIGINT NOT NULL,
    hash          TEXT NOT NULL UNIQUE,
    role          TEXT NOT NULL,
    display_name  TEXT NOT NULL,
    created_at    BIGINT NOT NULL
);

CREATE TABLE repos (
    id                    {{ID}},
    type                  TEXT NOT NULL,
    namespace             TEXT NOT NULL,
    name                  TEXT NOT NULL,
    key_lower             TEXT NOT NULL UNIQUE,
    private               BOOLEAN NOT NULL DEFAULT FALSE,
    gated                 TEXT NOT NULL DEFAULT '',
    lfs_multipart_thresh  BIGINT NOT NULL DEFAULT 0,
    next_discussion       BIGINT NOT NULL DEFAULT 1,
    created_at            BIGINT NOT NULL,
    updated_at            BIGINT NOT NULL
);

-- Git objects in their raw git encoding (without the "type size\0" header).
-- kind: 1 commit, 2 tree, 3 blob, 4 tag. For blobs that are LFS pointers,
-- lfs_oid and lfs_size repeat the pointer so listings need not parse it.
CREATE TABLE objects (
    repo_id   BIGINT NOT NULL,
    oid       TEXT NOT NULL,
    kind      SMALLINT NOT NULL,
    size      BIGINT NOT NULL,
    lfs_oid   TEXT,
    lfs_size  BIGINT,
    data      {{BYTES}} NOT NULL,
    PRIMARY KEY (repo_id, oid)
);

CREATE TABLE refs (
    repo_id  BIGINT NOT NULL,
    name     TEXT NOT NULL,
    target   TEXT NOT NULL,
    PRIMARY KEY (repo_id, name)
);

-- LFS content verified and stored in the blob store (global, one row per sha256).
CREATE TABLE lfs_objects (
    oid         TEXT PRIMARY KEY,
    size        BIGINT NOT NULL,
    created_at  BIGINT NOT NULL
);

-- Which repos may use which LFS objects: a repo links an object by uploading
-- its bytes, never by naming its hash.
CREATE TABLE repo_lfs (
    repo_id     BIGINT NOT NULL,
    oid         TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (repo_id, oid)
);

CREATE TABLE discussions (
    repo_id       BIGINT NOT NULL,
    num           BIGINT NOT NULL,
    title         TEXT NOT NULL,
    author        TEXT NOT NULL,
    is_pr         BOOLEAN NOT NULL,
    status        TEXT NOT NULL,
    base_ref      TEXT NOT NULL DEFAULT '',
    base_commit   TEXT NOT NULL DEFAULT '',
    merge_commit  TEXT NOT NULL DEFAULT '',
    created_at    BIGINT NOT NULL,
    PRIMARY KEY (repo_id, num)
);

CREATE TABLE discussion_events (
    id          {{ID}},
    repo_id     BIGINT NOT NULL,
    num         BIGINT NOT NULL,
    type        TEXT NOT NULL,
    author      TEXT NOT NULL,
    data        TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX discussion_events_by_num ON discussion_events (repo_id, num, id);
