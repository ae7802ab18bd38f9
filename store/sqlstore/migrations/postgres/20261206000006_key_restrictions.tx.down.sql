ALTER TABLE {{.Prefix}}service_account_keys
	DROP COLUMN IF EXISTS metadata,
	DROP COLUMN IF EXISTS rate_limit_period,
	DROP COLUMN IF EXISTS rate_limit,
	DROP COLUMN IF EXISTS allowed_cidrs,
	DROP COLUMN IF EXISTS scopes;
--bun:split
ALTER TABLE {{.Prefix}}service_accounts DROP COLUMN IF EXISTS metadata;
