ALTER TABLE {{.Prefix}}service_account_keys DROP COLUMN metadata;
--bun:split
ALTER TABLE {{.Prefix}}service_account_keys DROP COLUMN rate_limit_period;
--bun:split
ALTER TABLE {{.Prefix}}service_account_keys DROP COLUMN rate_limit;
--bun:split
ALTER TABLE {{.Prefix}}service_account_keys DROP COLUMN allowed_cidrs;
--bun:split
ALTER TABLE {{.Prefix}}service_account_keys DROP COLUMN scopes;
--bun:split
ALTER TABLE {{.Prefix}}service_accounts DROP COLUMN metadata;
