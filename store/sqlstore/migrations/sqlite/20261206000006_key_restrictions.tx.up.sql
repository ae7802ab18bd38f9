-- Version 3: keys narrower than their account, and metadata. SQLite has no
-- ADD COLUMN IF NOT EXISTS: this file runs in one transaction, so a
-- "duplicate column name" from its first statement means another process
-- committed it (see Migrate). The new columns are nullable (NULL: no
-- restriction, no metadata), so every existing row keeps working
-- unrestricted. JSON is kept as text: see restrictions.go.
ALTER TABLE {{.Prefix}}service_accounts ADD COLUMN metadata TEXT;
--bun:split
ALTER TABLE {{.Prefix}}service_account_keys ADD COLUMN scopes TEXT;
--bun:split
ALTER TABLE {{.Prefix}}service_account_keys ADD COLUMN allowed_cidrs TEXT;
--bun:split
ALTER TABLE {{.Prefix}}service_account_keys ADD COLUMN rate_limit INTEGER;
--bun:split
ALTER TABLE {{.Prefix}}service_account_keys ADD COLUMN rate_limit_period INTEGER;
--bun:split
ALTER TABLE {{.Prefix}}service_account_keys ADD COLUMN metadata TEXT;
