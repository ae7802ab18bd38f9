DROP INDEX IF EXISTS {{.Prefix}}service_account_permissions_grant_key;
--bun:split
ALTER TABLE {{.Prefix}}service_account_permissions DROP COLUMN IF EXISTS grant_key;
--bun:split
ALTER TABLE {{.Prefix}}service_account_keys
	DROP COLUMN IF EXISTS replaced_by,
	DROP COLUMN IF EXISTS disabled_at,
	DROP COLUMN IF EXISTS name;
--bun:split
ALTER TABLE {{.Prefix}}service_accounts DROP COLUMN IF EXISTS disabled_at;
