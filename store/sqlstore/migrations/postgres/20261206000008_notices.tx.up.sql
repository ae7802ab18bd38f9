-- Expiry and disuse notices. A row says a key got a notice of a kind
-- (key.expiring with its threshold in days, key.unused with 0); its
-- primary key makes each notice once across instances and restarts: the
-- row is inserted in the transaction that enqueues the notice's webhook
-- deliveries, and a conflict rolls that back. Deleting a key deletes its
-- rows.
CREATE TABLE IF NOT EXISTS {{.Prefix}}service_account_notices (
	key_id      uuid        NOT NULL REFERENCES {{.Prefix}}service_account_keys (id) ON DELETE CASCADE,
	kind        text        NOT NULL,
	within_days integer     NOT NULL,
	tenant      text        NOT NULL,
	created_at  timestamptz NOT NULL,
	PRIMARY KEY (key_id, kind, within_days)
);
--bun:split
-- The scan reads only keys in a notice window: by expiry for
-- key.expiring, by last use (or creation, never used) for key.unused.
CREATE INDEX IF NOT EXISTS {{.Prefix}}service_account_keys_expires_idx
	ON {{.Prefix}}service_account_keys (expires_at) WHERE disabled_at IS NULL AND replaced_by IS NULL;
--bun:split
CREATE INDEX IF NOT EXISTS {{.Prefix}}service_account_keys_use_idx
	ON {{.Prefix}}service_account_keys (last_used_at, created_at) WHERE disabled_at IS NULL AND replaced_by IS NULL;
