-- The change log that instances sharing the database poll. change_head
-- holds the id of the latest change, incremented in the writing
-- transaction, so ids follow commit order and a rollback leaves no gap
-- (AUTO_INCREMENT would do neither). No foreign key: the change that
-- deletes an account is logged too. Idempotent statements, as in the
-- first migration.
CREATE TABLE IF NOT EXISTS {{.Prefix}}service_account_change_head (
	id      TINYINT NOT NULL,
	last_id BIGINT  NOT NULL,
	PRIMARY KEY (id)
) ENGINE=InnoDB;
--bun:split
INSERT IGNORE INTO {{.Prefix}}service_account_change_head (id, last_id) VALUES (1, 0);
--bun:split
CREATE TABLE IF NOT EXISTS {{.Prefix}}service_account_changes (
	id          BIGINT      NOT NULL,
	account_id  BINARY(16)  NOT NULL,
	recorded_at DATETIME(6) NOT NULL,
	PRIMARY KEY (id),
	KEY recorded_at_idx (recorded_at)
) ENGINE=InnoDB;
