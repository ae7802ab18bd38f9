-- Version 3: keys narrower than their account, and metadata. Every
-- statement is idempotent, as in the first migration. The new columns are
-- nullable (NULL: no restriction, no metadata), so every existing row
-- keeps working unrestricted and older code can still insert during a
-- rolling upgrade. JSON is kept as text: see restrictions.go.
ALTER TABLE {{.Prefix}}service_accounts
	ADD COLUMN IF NOT EXISTS metadata text;
--bun:split
ALTER TABLE {{.Prefix}}service_account_keys
	ADD COLUMN IF NOT EXISTS scopes            text,
	ADD COLUMN IF NOT EXISTS allowed_cidrs     text,
	ADD COLUMN IF NOT EXISTS rate_limit        integer,
	ADD COLUMN IF NOT EXISTS rate_limit_period integer,
	ADD COLUMN IF NOT EXISTS metadata          text;
