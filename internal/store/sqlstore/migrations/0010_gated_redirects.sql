-- Access requests to gated repos: one row per repo and user. status is
-- pending, accepted or rejected; fields holds the requester's form as JSON;
-- granted marks access given by a maintainer without a request.
CREATE TABLE access_requests (
    id          {{ID}},
    repo_id     BIGINT NOT NULL,
    user_id     BIGINT NOT NULL,
    status      TEXT NOT NULL,
    reason      TEXT NOT NULL DEFAULT '',
    fields      TEXT NOT NULL DEFAULT '',
    granted     BOOLEAN NOT NULL DEFAULT FALSE,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE UNIQUE INDEX access_requests_by_user ON access_requests (repo_id, user_id);

-- Old ids of renamed repos (key_lower as in repos) and the repo they name
-- now. Creating a repo at an old id removes its row.
CREATE TABLE repo_redirects (
    key_lower   TEXT PRIMARY KEY,
    repo_id     BIGINT NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX repo_redirects_by_repo ON repo_redirects (repo_id);
