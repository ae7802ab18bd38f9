-- Webhooks and their outbox. Every row carries its tenant from the
-- start. A delivery is written in the transaction of the change it
-- reports; senders claim due rows with SELECT … FOR UPDATE SKIP LOCKED
-- (MariaDB 10.6+, MySQL 8) and a lease (lease_owner, lease_until), so one
-- sender at a time sends each. No foreign key: deleting a webhook deletes
-- its deliveries itself. Indexes live inside CREATE TABLE, which is
-- idempotent.
CREATE TABLE IF NOT EXISTS {{.Prefix}}service_account_webhooks (
	id          BINARY(16)    NOT NULL,
	tenant      VARCHAR(63)   NOT NULL,
	url         VARCHAR(2000) NOT NULL,
	events      TEXT          NOT NULL,
	description TEXT          NOT NULL,
	secret      VARCHAR(200)  NOT NULL,
	created_at  DATETIME(6)   NOT NULL,
	PRIMARY KEY (id),
	KEY tenant_idx (tenant, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
--bun:split
CREATE TABLE IF NOT EXISTS {{.Prefix}}service_account_deliveries (
	id              BINARY(16)  NOT NULL,
	tenant          VARCHAR(63) NOT NULL,
	webhook_id      BINARY(16)  NOT NULL,
	event_type      VARCHAR(64) NOT NULL,
	body            MEDIUMBLOB  NOT NULL,
	state           VARCHAR(16) NOT NULL,
	attempts        MEDIUMTEXT  NOT NULL,
	next_attempt_at DATETIME(6) NULL,
	delivered_at    DATETIME(6) NULL,
	created_at      DATETIME(6) NOT NULL,
	lease_owner     VARCHAR(64) NULL,
	lease_until     DATETIME(6) NULL,
	PRIMARY KEY (id),
	KEY due_idx (state, next_attempt_at),
	KEY webhook_idx (webhook_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
