-- Sessions of the web UI. id is the hex sha256 of the session cookie's
-- value, so the table cannot be used to sign in; token_hash is the hash of
-- the token the user signed in with (tokens.hash), so deleting that token
-- ends its sessions. csrf is the anti-forgery value of the session's forms.
CREATE TABLE web_sessions (
    id          TEXT PRIMARY KEY,
    token_hash  TEXT NOT NULL,
    csrf        TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX web_sessions_by_expiry ON web_sessions (expires_at);
