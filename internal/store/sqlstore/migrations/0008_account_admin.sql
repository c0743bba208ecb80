-- A disabled account's tokens stop working at once (every request looks
-- its token up); its repos stay readable as before.
ALTER TABLE accounts ADD COLUMN disabled BOOLEAN NOT NULL DEFAULT FALSE;
