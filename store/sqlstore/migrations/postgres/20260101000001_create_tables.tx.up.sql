-- Every statement is idempotent, so a migration interrupted before it was
-- recorded, or run by two processes, converges on the same schema.
CREATE TABLE IF NOT EXISTS {{.Prefix}}service_accounts (
	id          uuid        PRIMARY KEY,
	label       text        NOT NULL,
	description text        NOT NULL,
	created_at  timestamptz NOT NULL,
	updated_at  timestamptz NOT NULL
);
--bun:split
CREATE TABLE IF NOT EXISTS {{.Prefix}}service_account_keys (
	id           uuid        PRIMARY KEY,
	account_id   uuid        NOT NULL REFERENCES {{.Prefix}}service_accounts (id) ON DELETE CASCADE,
	hash         bytea       NOT NULL CHECK (octet_length(hash) = 32),
	hint         text        NOT NULL,
	created_at   timestamptz NOT NULL,
	last_used_at timestamptz,
	expires_at   timestamptz
);
--bun:split
CREATE UNIQUE INDEX IF NOT EXISTS {{.Prefix}}service_account_keys_hash_key
	ON {{.Prefix}}service_account_keys (hash);
--bun:split
CREATE INDEX IF NOT EXISTS {{.Prefix}}service_account_keys_account_id_idx
	ON {{.Prefix}}service_account_keys (account_id, id);
--bun:split
CREATE TABLE IF NOT EXISTS {{.Prefix}}service_account_permissions (
	id            uuid        PRIMARY KEY,
	account_id    uuid        NOT NULL REFERENCES {{.Prefix}}service_accounts (id) ON DELETE CASCADE,
	resource_type text        NOT NULL,
	resource_key  text        NOT NULL,
	action        text        NOT NULL,
	limiter       text,
	created_at    timestamptz NOT NULL
);
--bun:split
CREATE INDEX IF NOT EXISTS {{.Prefix}}service_account_permissions_account_id_idx
	ON {{.Prefix}}service_account_permissions (account_id, id);
