-- The change log that instances sharing the database file poll.
-- change_head holds the id of the latest change, incremented in the
-- writing transaction, so ids follow commit order and a rollback leaves no
-- gap. No foreign key: the change that deletes an account is logged too.
CREATE TABLE IF NOT EXISTS {{.Prefix}}service_account_change_head (
	id      INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
	last_id INTEGER NOT NULL
) STRICT;
--bun:split
INSERT OR IGNORE INTO {{.Prefix}}service_account_change_head (id, last_id) VALUES (1, 0);
--bun:split
CREATE TABLE IF NOT EXISTS {{.Prefix}}service_account_changes (
	id          INTEGER NOT NULL PRIMARY KEY,
	account_id  BLOB    NOT NULL CHECK (length(account_id) = 16),
	recorded_at INTEGER NOT NULL
) STRICT;
--bun:split
CREATE INDEX IF NOT EXISTS {{.Prefix}}service_account_changes_recorded_at_idx
	ON {{.Prefix}}service_account_changes (recorded_at);
