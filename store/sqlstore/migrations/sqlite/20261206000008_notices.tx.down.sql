DROP INDEX IF EXISTS {{.Prefix}}service_account_keys_use_idx;
--bun:split
DROP INDEX IF EXISTS {{.Prefix}}service_account_keys_expires_idx;
--bun:split
DROP TABLE IF EXISTS {{.Prefix}}service_account_notices;
