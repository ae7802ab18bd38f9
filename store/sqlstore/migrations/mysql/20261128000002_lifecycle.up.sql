-- Version 2: key and account lifecycle, and one row per grant. MySQL
-- commits DDL implicitly and MySQL 8 has no ADD COLUMN IF NOT EXISTS, so
-- Migrate runs these statements one by one and counts "duplicate column"
-- and "duplicate key name" as done: a migration interrupted half-way
-- resumes. New columns are nullable or have a default, so a v1 database
-- keeps every row and v1 code can still insert during a rolling upgrade.
ALTER TABLE {{.Prefix}}service_accounts ADD COLUMN disabled_at DATETIME(6) NULL;
--bun:split
ALTER TABLE {{.Prefix}}service_account_keys ADD COLUMN name VARCHAR(1000) NOT NULL DEFAULT '';
--bun:split
ALTER TABLE {{.Prefix}}service_account_keys ADD COLUMN disabled_at DATETIME(6) NULL;
--bun:split
ALTER TABLE {{.Prefix}}service_account_keys ADD COLUMN replaced_by BINARY(16) NULL;
--bun:split
-- grant_key is permission.GrantKey, written by the store; NULL on rows
-- written before this migration until Migrate fills them in.
ALTER TABLE {{.Prefix}}service_account_permissions ADD COLUMN grant_key BINARY(32) NULL;
--bun:split
ALTER TABLE {{.Prefix}}service_account_permissions ADD UNIQUE KEY grant_key (account_id, grant_key);
