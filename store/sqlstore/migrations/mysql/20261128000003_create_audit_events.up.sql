-- The audit log. No foreign key to the accounts: events outlive the
-- account they describe. An event without an actor has a NULL actor_id
-- (and NULL address and user agent). The VARCHAR lengths are the
-- Manager's limits (serviceaccount.MaxActor*Length, MaxAuditActionLength),
-- so the indexed columns fit InnoDB's key size. One index per filter, each
-- ending in the listing's order (newest first, scanned backwards); the
-- first also serves since/until, the unfiltered list and pruning. Indexes
-- live inside CREATE TABLE, which is idempotent, because MySQL has no
-- CREATE INDEX IF NOT EXISTS.
CREATE TABLE IF NOT EXISTS {{.Prefix}}service_account_audit_events (
	id               BINARY(16)   NOT NULL,
	occurred_at      DATETIME(6)  NOT NULL,
	actor_id         VARCHAR(200) NULL,
	actor_address    VARCHAR(200) NULL,
	actor_user_agent VARCHAR(500) NULL,
	action           VARCHAR(32)  NOT NULL,
	account_id       BINARY(16)   NOT NULL,
	target_id        BINARY(16)   NULL,
	details          MEDIUMTEXT   NOT NULL,
	PRIMARY KEY (id),
	KEY time_idx (occurred_at, id),
	KEY account_idx (account_id, occurred_at, id),
	KEY action_idx (action, occurred_at, id),
	KEY actor_idx (actor_id, occurred_at, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
