-- Webhooks and their outbox. Every row carries its tenant from the
-- start. A delivery is written in the transaction of the change it
-- reports; a sender claims due rows by writing a lease (lease_owner,
-- lease_until) in one transaction, which SQLite's single writer
-- serializes. No foreign key: deleting a webhook deletes its deliveries
-- itself.
CREATE TABLE IF NOT EXISTS {{.Prefix}}service_account_webhooks (
	id          BLOB    NOT NULL PRIMARY KEY CHECK (length(id) = 16),
	tenant      TEXT    NOT NULL,
	url         TEXT    NOT NULL,
	events      TEXT    NOT NULL,
	description TEXT    NOT NULL,
	secret      TEXT    NOT NULL,
	created_at  INTEGER NOT NULL
) STRICT;
--bun:split
CREATE INDEX IF NOT EXISTS {{.Prefix}}service_account_webhooks_tenant_idx
	ON {{.Prefix}}service_account_webhooks (tenant, id);
--bun:split
CREATE TABLE IF NOT EXISTS {{.Prefix}}service_account_deliveries (
	id              BLOB    NOT NULL PRIMARY KEY CHECK (length(id) = 16),
	tenant          TEXT    NOT NULL,
	webhook_id      BLOB    NOT NULL CHECK (length(webhook_id) = 16),
	event_type      TEXT    NOT NULL,
	body            BLOB    NOT NULL,
	state           TEXT    NOT NULL,
	attempts        TEXT    NOT NULL,
	next_attempt_at INTEGER,
	delivered_at    INTEGER,
	created_at      INTEGER NOT NULL,
	lease_owner     TEXT,
	lease_until     INTEGER
) STRICT;
--bun:split
CREATE INDEX IF NOT EXISTS {{.Prefix}}service_account_deliveries_due_idx
	ON {{.Prefix}}service_account_deliveries (state, next_attempt_at);
--bun:split
CREATE INDEX IF NOT EXISTS {{.Prefix}}service_account_deliveries_webhook_idx
	ON {{.Prefix}}service_account_deliveries (webhook_id, id);
