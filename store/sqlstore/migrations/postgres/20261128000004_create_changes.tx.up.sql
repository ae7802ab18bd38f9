-- The change log that instances sharing the database poll (and, here,
-- LISTEN for). change_head holds the id of the latest change: a writer
-- increments it in its own transaction, so ids follow commit order and a
-- rollback leaves no gap (see sqlstore's package documentation). No
-- foreign key: the change that deletes an account is logged too.
CREATE TABLE IF NOT EXISTS {{.Prefix}}service_account_change_head (
	id      smallint PRIMARY KEY CHECK (id = 1),
	last_id bigint   NOT NULL
);
--bun:split
INSERT INTO {{.Prefix}}service_account_change_head (id, last_id) VALUES (1, 0)
	ON CONFLICT (id) DO NOTHING;
--bun:split
CREATE TABLE IF NOT EXISTS {{.Prefix}}service_account_changes (
	id          bigint      PRIMARY KEY,
	account_id  uuid        NOT NULL,
	recorded_at timestamptz NOT NULL
);
--bun:split
CREATE INDEX IF NOT EXISTS {{.Prefix}}service_account_changes_recorded_at_idx
	ON {{.Prefix}}service_account_changes (recorded_at);
