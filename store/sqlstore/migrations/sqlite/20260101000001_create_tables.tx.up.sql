-- STRICT tables reject a value of the wrong type instead of storing it.
-- Ids are 16 raw bytes and hashes 32, so blobs compare like the UUIDv7 ids
-- they hold (creation order). Times are INTEGER microseconds since the Unix
-- epoch, UTC: exact, and ordered by plain integer comparison.
CREATE TABLE IF NOT EXISTS {{.Prefix}}service_accounts (
	id          BLOB    NOT NULL PRIMARY KEY CHECK (length(id) = 16),
	label       TEXT    NOT NULL,
	description TEXT    NOT NULL,
	created_at  INTEGER NOT NULL,
	updated_at  INTEGER NOT NULL
) STRICT;
--bun:split
CREATE TABLE IF NOT EXISTS {{.Prefix}}service_account_keys (
	id           BLOB    NOT NULL PRIMARY KEY CHECK (length(id) = 16),
	account_id   BLOB    NOT NULL REFERENCES {{.Prefix}}service_accounts (id) ON DELETE CASCADE,
	hash         BLOB    NOT NULL CHECK (length(hash) = 32),
	hint         TEXT    NOT NULL,
	created_at   INTEGER NOT NULL,
	last_used_at INTEGER,
	expires_at   INTEGER
) STRICT;
--bun:split
CREATE UNIQUE INDEX IF NOT EXISTS {{.Prefix}}service_account_keys_hash_key
	ON {{.Prefix}}service_account_keys (hash);
--bun:split
CREATE INDEX IF NOT EXISTS {{.Prefix}}service_account_keys_account_id_idx
	ON {{.Prefix}}service_account_keys (account_id, id);
--bun:split
CREATE TABLE IF NOT EXISTS {{.Prefix}}service_account_permissions (
	id            BLOB    NOT NULL PRIMARY KEY CHECK (length(id) = 16),
	account_id    BLOB    NOT NULL REFERENCES {{.Prefix}}service_accounts (id) ON DELETE CASCADE,
	resource_type TEXT    NOT NULL,
	resource_key  TEXT    NOT NULL,
	action        TEXT    NOT NULL,
	limiter       TEXT,
	created_at    INTEGER NOT NULL
) STRICT;
--bun:split
CREATE INDEX IF NOT EXISTS {{.Prefix}}service_account_permissions_account_id_idx
	ON {{.Prefix}}service_account_permissions (account_id, id);
