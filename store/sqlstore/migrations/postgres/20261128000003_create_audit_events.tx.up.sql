-- The audit log. No foreign key to the accounts: events outlive the
-- account they describe. An event without an actor has a NULL actor_id
-- (and NULL address and user agent). details is the JSON object the
-- Manager wrote, kept as text so that it reads back byte for byte.
CREATE TABLE IF NOT EXISTS {{.Prefix}}service_account_audit_events (
	id               uuid        PRIMARY KEY,
	occurred_at      timestamptz NOT NULL,
	actor_id         text,
	actor_address    text,
	actor_user_agent text,
	action           text        NOT NULL,
	account_id       uuid        NOT NULL,
	target_id        uuid,
	details          text        NOT NULL
);
--bun:split
-- One index per filter, each ending in the listing's order (newest
-- first, scanned backwards), so that a filtered page reads only its rows;
-- the first also serves since/until, the unfiltered list and pruning.
CREATE INDEX IF NOT EXISTS {{.Prefix}}service_account_audit_events_time_idx
	ON {{.Prefix}}service_account_audit_events (occurred_at, id);
--bun:split
CREATE INDEX IF NOT EXISTS {{.Prefix}}service_account_audit_events_account_idx
	ON {{.Prefix}}service_account_audit_events (account_id, occurred_at, id);
--bun:split
CREATE INDEX IF NOT EXISTS {{.Prefix}}service_account_audit_events_action_idx
	ON {{.Prefix}}service_account_audit_events (action, occurred_at, id);
--bun:split
CREATE INDEX IF NOT EXISTS {{.Prefix}}service_account_audit_events_actor_idx
	ON {{.Prefix}}service_account_audit_events (actor_id, occurred_at, id);
