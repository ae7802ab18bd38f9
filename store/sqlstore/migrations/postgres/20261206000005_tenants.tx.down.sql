DROP TABLE IF EXISTS {{.Prefix}}service_account_policy_defaults;
--bun:split
DROP TABLE IF EXISTS {{.Prefix}}service_account_policies;
--bun:split
ALTER TABLE {{.Prefix}}service_account_changes DROP COLUMN IF EXISTS kind, DROP COLUMN IF EXISTS tenant;
--bun:split
DROP INDEX IF EXISTS {{.Prefix}}service_account_audit_tenant_actor_idx;
--bun:split
DROP INDEX IF EXISTS {{.Prefix}}service_account_audit_tenant_action_idx;
--bun:split
DROP INDEX IF EXISTS {{.Prefix}}service_account_audit_tenant_time_idx;
--bun:split
ALTER TABLE {{.Prefix}}service_account_audit_events DROP COLUMN IF EXISTS tenant;
--bun:split
DROP INDEX IF EXISTS {{.Prefix}}service_accounts_tenant_idx;
--bun:split
ALTER TABLE {{.Prefix}}service_accounts DROP COLUMN IF EXISTS tenant;
