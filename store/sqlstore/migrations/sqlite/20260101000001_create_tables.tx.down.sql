DROP TABLE IF EXISTS {{.Prefix}}service_account_permissions;
--bun:split
DROP TABLE IF EXISTS {{.Prefix}}service_account_keys;
--bun:split
DROP TABLE IF EXISTS {{.Prefix}}service_accounts;
