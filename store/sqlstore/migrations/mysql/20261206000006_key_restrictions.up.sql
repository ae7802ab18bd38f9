-- Version 3: keys narrower than their account, and metadata. MySQL commits
-- DDL implicitly and MySQL 8 has no ADD COLUMN IF NOT EXISTS, so Migrate
-- runs these statements one by one and counts "duplicate column" as done:
-- a migration interrupted half-way resumes. The new columns are nullable
-- (NULL: no restriction, no metadata), so every existing row keeps working
-- unrestricted and older code can still insert during a rolling upgrade.
-- JSON is kept as text: see restrictions.go.
ALTER TABLE {{.Prefix}}service_accounts ADD COLUMN metadata TEXT NULL;
--bun:split
ALTER TABLE {{.Prefix}}service_account_keys ADD COLUMN scopes TEXT NULL;
--bun:split
ALTER TABLE {{.Prefix}}service_account_keys ADD COLUMN allowed_cidrs TEXT NULL;
--bun:split
ALTER TABLE {{.Prefix}}service_account_keys ADD COLUMN rate_limit INT NULL;
--bun:split
ALTER TABLE {{.Prefix}}service_account_keys ADD COLUMN rate_limit_period INT NULL;
--bun:split
ALTER TABLE {{.Prefix}}service_account_keys ADD COLUMN metadata TEXT NULL;
