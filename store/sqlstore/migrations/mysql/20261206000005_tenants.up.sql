-- Version 3: tenants. Every row written before lands in the tenant
-- 'default' through the column's default; keys and permissions belong to
-- their account's tenant, so only accounts, audit events and the change
-- log carry the column. As in the lifecycle migration, the statements run
-- one by one and a column or index that exists counts as added, so an
-- interrupted run resumes. Tenant ids are ASCII ([a-z0-9-]), compared
-- byte for byte.
ALTER TABLE {{.Prefix}}service_accounts
	ADD COLUMN tenant VARCHAR(63) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT 'default';
--bun:split
-- A tenant's account list and TenantList's count walk this index.
ALTER TABLE {{.Prefix}}service_accounts ADD KEY tenant_idx (tenant, id);
--bun:split
ALTER TABLE {{.Prefix}}service_account_audit_events
	ADD COLUMN tenant VARCHAR(63) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT 'default';
--bun:split
-- A tenant's audit list, unfiltered or by action or actor, reads only its
-- rows in the listing's order; the account filter keeps using the
-- account index (an account lies in one tenant).
ALTER TABLE {{.Prefix}}service_account_audit_events ADD KEY tenant_time_idx (tenant, occurred_at, id);
--bun:split
ALTER TABLE {{.Prefix}}service_account_audit_events ADD KEY tenant_action_idx (tenant, action, occurred_at, id);
--bun:split
ALTER TABLE {{.Prefix}}service_account_audit_events ADD KEY tenant_actor_idx (tenant, actor_id, occurred_at, id);
--bun:split
-- kind says what changed: an account ('account', every row before this
-- migration) or a stored policy ('policy': account_id is the nil UUID,
-- tenant '' for the default policy).
ALTER TABLE {{.Prefix}}service_account_changes
	ADD COLUMN tenant VARCHAR(63) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT 'default';
--bun:split
ALTER TABLE {{.Prefix}}service_account_changes
	ADD COLUMN kind VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT 'account';
--bun:split
-- The stored policies: one row per tenant that has one, and one row of
-- database-wide defaults. Durations are whole seconds; 0 means none.
CREATE TABLE IF NOT EXISTS {{.Prefix}}service_account_policies (
	tenant                       VARCHAR(63) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	max_keys_per_account         INT         NOT NULL,
	max_key_lifetime_seconds     BIGINT      NOT NULL,
	default_key_lifetime_seconds BIGINT      NOT NULL,
	max_rotation_grace_seconds   BIGINT      NOT NULL,
	leaked_key_action            VARCHAR(16) NOT NULL,
	unused_key_days              INT         NOT NULL,
	PRIMARY KEY (tenant)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
--bun:split
CREATE TABLE IF NOT EXISTS {{.Prefix}}service_account_policy_defaults (
	id                           TINYINT     NOT NULL,
	max_keys_per_account         INT         NOT NULL,
	max_key_lifetime_seconds     BIGINT      NOT NULL,
	default_key_lifetime_seconds BIGINT      NOT NULL,
	max_rotation_grace_seconds   BIGINT      NOT NULL,
	leaked_key_action            VARCHAR(16) NOT NULL,
	unused_key_days              INT         NOT NULL,
	PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
