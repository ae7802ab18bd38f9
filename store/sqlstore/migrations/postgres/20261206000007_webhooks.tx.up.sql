-- Webhooks and their outbox. Every row carries its tenant from the
-- start. A delivery is written in the transaction of the change it
-- reports; senders claim due rows with SELECT … FOR UPDATE SKIP LOCKED and
-- a lease (lease_owner, lease_until), so one sender at a time sends each.
-- No foreign key: deleting a webhook deletes its deliveries itself.
CREATE TABLE IF NOT EXISTS {{.Prefix}}service_account_webhooks (
	id          uuid        PRIMARY KEY,
	tenant      text        NOT NULL,
	url         text        NOT NULL,
	events      text        NOT NULL,
	description text        NOT NULL,
	secret      text        NOT NULL,
	created_at  timestamptz NOT NULL
);
--bun:split
CREATE INDEX IF NOT EXISTS {{.Prefix}}service_account_webhooks_tenant_idx
	ON {{.Prefix}}service_account_webhooks (tenant, id);
--bun:split
CREATE TABLE IF NOT EXISTS {{.Prefix}}service_account_deliveries (
	id              uuid        PRIMARY KEY,
	tenant          text        NOT NULL,
	webhook_id      uuid        NOT NULL,
	event_type      text        NOT NULL,
	body            bytea       NOT NULL,
	state           text        NOT NULL,
	attempts        text        NOT NULL,
	next_attempt_at timestamptz,
	delivered_at    timestamptz,
	created_at      timestamptz NOT NULL,
	lease_owner     text,
	lease_until     timestamptz
);
--bun:split
-- The claim reads only pending rows, oldest due first.
CREATE INDEX IF NOT EXISTS {{.Prefix}}service_account_deliveries_due_idx
	ON {{.Prefix}}service_account_deliveries (state, next_attempt_at);
--bun:split
CREATE INDEX IF NOT EXISTS {{.Prefix}}service_account_deliveries_webhook_idx
	ON {{.Prefix}}service_account_deliveries (webhook_id, id);
