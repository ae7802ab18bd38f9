ALTER TABLE {{.Prefix}}service_account_permissions DROP KEY grant_key;
--bun:split
ALTER TABLE {{.Prefix}}service_account_permissions DROP COLUMN grant_key;
--bun:split
ALTER TABLE {{.Prefix}}service_account_keys DROP COLUMN replaced_by;
--bun:split
ALTER TABLE {{.Prefix}}service_account_keys DROP COLUMN disabled_at;
--bun:split
ALTER TABLE {{.Prefix}}service_account_keys DROP COLUMN name;
--bun:split
ALTER TABLE {{.Prefix}}service_accounts DROP COLUMN disabled_at;
