-- Expiry and disuse notices: see the PostgreSQL migration. As in the
-- tenants migration, the statements run one by one and an index that
-- exists counts as added, so an interrupted run resumes.
CREATE TABLE IF NOT EXISTS {{.Prefix}}service_account_notices (
	key_id      BINARY(16)  NOT NULL,
	kind        VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	within_days INT         NOT NULL,
	tenant      VARCHAR(63) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	created_at  DATETIME(6) NOT NULL,
	PRIMARY KEY (key_id, kind, within_days),
	FOREIGN KEY (key_id) REFERENCES {{.Prefix}}service_account_keys (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
--bun:split
-- The scan reads only keys in a notice window (no partial indexes here).
ALTER TABLE {{.Prefix}}service_account_keys ADD KEY expires_idx (expires_at);
--bun:split
ALTER TABLE {{.Prefix}}service_account_keys ADD KEY use_idx (last_used_at, created_at);
