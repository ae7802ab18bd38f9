-- Version 2: key and account lifecycle, and one row per grant.
-- Every statement is idempotent, as in the first migration. New columns
-- are nullable or have a default, so a v1 database keeps every row and
-- v1 code can still insert during a rolling upgrade.
ALTER TABLE {{.Prefix}}service_accounts
	ADD COLUMN IF NOT EXISTS disabled_at timestamptz;
--bun:split
ALTER TABLE {{.Prefix}}service_account_keys
	ADD COLUMN IF NOT EXISTS name        text        NOT NULL DEFAULT '',
	ADD COLUMN IF NOT EXISTS disabled_at timestamptz,
	ADD COLUMN IF NOT EXISTS replaced_by uuid;
--bun:split
-- grant_key is permission.GrantKey, written by the store; NULL on rows
-- written before this migration until Migrate fills them in.
ALTER TABLE {{.Prefix}}service_account_permissions
	ADD COLUMN IF NOT EXISTS grant_key bytea CHECK (octet_length(grant_key) = 32);
--bun:split
CREATE UNIQUE INDEX IF NOT EXISTS {{.Prefix}}service_account_permissions_grant_key
	ON {{.Prefix}}service_account_permissions (account_id, grant_key);
