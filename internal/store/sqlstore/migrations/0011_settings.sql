-- Repo settings beyond visibility and gating, one row per repo that
-- changed one (absent: the defaults).
CREATE TABLE repo_settings (
    repo_id      BIGINT PRIMARY KEY,
    xet_enabled  BOOLEAN NOT NULL DEFAULT TRUE
);

-- Organization settings (absent: the defaults). private_default makes
-- create_repo without "private" create a private repo.
CREATE TABLE org_settings (
    org_id           BIGINT PRIMARY KEY,
    private_default  BOOLEAN NOT NULL DEFAULT FALSE
);
