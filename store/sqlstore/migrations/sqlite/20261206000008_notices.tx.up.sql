-- Expiry and disuse notices: see the PostgreSQL migration.
CREATE TABLE IF NOT EXISTS {{.Prefix}}service_account_notices (
	key_id      BLOB    NOT NULL REFERENCES {{.Prefix}}service_account_keys (id) ON DELETE CASCADE,
	kind        TEXT    NOT NULL,
	within_days INTEGER NOT NULL,
	tenant      TEXT    NOT NULL,
	created_at  INTEGER NOT NULL,
	PRIMARY KEY (key_id, kind, within_days)
) STRICT;
--bun:split
CREATE INDEX IF NOT EXISTS {{.Prefix}}service_account_keys_expires_idx
	ON {{.Prefix}}service_account_keys (expires_at) WHERE disabled_at IS NULL AND replaced_by IS NULL;
--bun:split
CREATE INDEX IF NOT EXISTS {{.Prefix}}service_account_keys_use_idx
	ON {{.Prefix}}service_account_keys (last_used_at, created_at) WHERE disabled_at IS NULL AND replaced_by IS NULL;
