-- MySQL commits DDL implicitly, so this migration is not transactional;
-- every statement is idempotent instead, and the indexes live inside
-- CREATE TABLE because MySQL has no CREATE INDEX IF NOT EXISTS.
-- Times are DATETIME(6) holding UTC; utf8mb4_bin keeps every string
-- byte for byte, emoji included.
CREATE TABLE IF NOT EXISTS {{.Prefix}}service_accounts (
	id          BINARY(16)  NOT NULL,
	label       TEXT        NOT NULL,
	description TEXT        NOT NULL,
	created_at  DATETIME(6) NOT NULL,
	updated_at  DATETIME(6) NOT NULL,
	PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
--bun:split
CREATE TABLE IF NOT EXISTS {{.Prefix}}service_account_keys (
	id           BINARY(16)  NOT NULL,
	account_id   BINARY(16)  NOT NULL,
	hash         BINARY(32)  NOT NULL,
	hint         TEXT        NOT NULL,
	created_at   DATETIME(6) NOT NULL,
	last_used_at DATETIME(6) NULL,
	expires_at   DATETIME(6) NULL,
	PRIMARY KEY (id),
	UNIQUE KEY hash_key (hash),
	KEY account_id_idx (account_id, id),
	FOREIGN KEY (account_id) REFERENCES {{.Prefix}}service_accounts (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
--bun:split
CREATE TABLE IF NOT EXISTS {{.Prefix}}service_account_permissions (
	id            BINARY(16)  NOT NULL,
	account_id    BINARY(16)  NOT NULL,
	resource_type TEXT        NOT NULL,
	resource_key  TEXT        NOT NULL,
	action        TEXT        NOT NULL,
	limiter       MEDIUMTEXT  NULL,
	created_at    DATETIME(6) NOT NULL,
	PRIMARY KEY (id),
	KEY account_id_idx (account_id, id),
	FOREIGN KEY (account_id) REFERENCES {{.Prefix}}service_accounts (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
