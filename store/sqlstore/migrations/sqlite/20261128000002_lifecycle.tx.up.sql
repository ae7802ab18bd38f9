-- Version 2: key and account lifecycle, and one row per grant. SQLite has
-- no ADD COLUMN IF NOT EXISTS: this file runs in one transaction, so when
-- two processes race, the loser's first ALTER fails with "duplicate column
-- name" only because the winner committed the whole file, and Migrate
-- counts that as applied. New columns are nullable or have a default, so
-- a v1 database keeps every row.
ALTER TABLE {{.Prefix}}service_accounts ADD COLUMN disabled_at INTEGER;
--bun:split
ALTER TABLE {{.Prefix}}service_account_keys ADD COLUMN name TEXT NOT NULL DEFAULT '';
--bun:split
ALTER TABLE {{.Prefix}}service_account_keys ADD COLUMN disabled_at INTEGER;
--bun:split
ALTER TABLE {{.Prefix}}service_account_keys ADD COLUMN replaced_by BLOB CHECK (length(replaced_by) = 16);
--bun:split
-- grant_key is permission.GrantKey, written by the store; NULL on rows
-- written before this migration until Migrate fills them in.
ALTER TABLE {{.Prefix}}service_account_permissions ADD COLUMN grant_key BLOB CHECK (length(grant_key) = 32);
--bun:split
CREATE UNIQUE INDEX IF NOT EXISTS {{.Prefix}}service_account_permissions_grant_key
	ON {{.Prefix}}service_account_permissions (account_id, grant_key);
