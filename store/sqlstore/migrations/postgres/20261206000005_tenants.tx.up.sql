-- Version 3: tenants. Every row written before lands in the tenant
-- 'default' through the column's default; keys and permissions belong to
-- their account's tenant, so only accounts, audit events and the change
-- log carry the column. Every statement is idempotent, as in the first
-- migration, and the new columns have defaults, so v2 code can still
-- insert during a rolling upgrade (into 'default').
ALTER TABLE {{.Prefix}}service_accounts
	ADD COLUMN IF NOT EXISTS tenant text NOT NULL DEFAULT 'default';
--bun:split
-- A tenant's account list and TenantList's count walk this index.
CREATE INDEX IF NOT EXISTS {{.Prefix}}service_accounts_tenant_idx
	ON {{.Prefix}}service_accounts (tenant, id);
--bun:split
ALTER TABLE {{.Prefix}}service_account_audit_events
	ADD COLUMN IF NOT EXISTS tenant text NOT NULL DEFAULT 'default';
--bun:split
-- A tenant's audit list, unfiltered or by action or actor, reads only its
-- rows in the listing's order; the account filter keeps using the
-- account index (an account lies in one tenant).
CREATE INDEX IF NOT EXISTS {{.Prefix}}service_account_audit_tenant_time_idx
	ON {{.Prefix}}service_account_audit_events (tenant, occurred_at, id);
--bun:split
CREATE INDEX IF NOT EXISTS {{.Prefix}}service_account_audit_tenant_action_idx
	ON {{.Prefix}}service_account_audit_events (tenant, action, occurred_at, id);
--bun:split
CREATE INDEX IF NOT EXISTS {{.Prefix}}service_account_audit_tenant_actor_idx
	ON {{.Prefix}}service_account_audit_events (tenant, actor_id, occurred_at, id);
--bun:split
-- kind says what changed: an account ('account', every row before this
-- migration) or a stored policy ('policy': account_id is the nil UUID,
-- tenant '' for the default policy).
ALTER TABLE {{.Prefix}}service_account_changes
	ADD COLUMN IF NOT EXISTS tenant text NOT NULL DEFAULT 'default',
	ADD COLUMN IF NOT EXISTS kind   text NOT NULL DEFAULT 'account';
--bun:split
-- The stored policies: one row per tenant that has one, and one row of
-- database-wide defaults. Durations are whole seconds; 0 means none.
CREATE TABLE IF NOT EXISTS {{.Prefix}}service_account_policies (
	tenant                       text    PRIMARY KEY,
	max_keys_per_account         integer NOT NULL,
	max_key_lifetime_seconds     bigint  NOT NULL,
	default_key_lifetime_seconds bigint  NOT NULL,
	max_rotation_grace_seconds   bigint  NOT NULL,
	leaked_key_action            text    NOT NULL,
	unused_key_days              integer NOT NULL
);
--bun:split
CREATE TABLE IF NOT EXISTS {{.Prefix}}service_account_policy_defaults (
	id                           smallint PRIMARY KEY CHECK (id = 1),
	max_keys_per_account         integer  NOT NULL,
	max_key_lifetime_seconds     bigint   NOT NULL,
	default_key_lifetime_seconds bigint   NOT NULL,
	max_rotation_grace_seconds   bigint   NOT NULL,
	leaked_key_action            text     NOT NULL,
	unused_key_days              integer  NOT NULL
);
