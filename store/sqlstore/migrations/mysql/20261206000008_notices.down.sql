ALTER TABLE {{.Prefix}}service_account_keys DROP KEY use_idx;
--bun:split
ALTER TABLE {{.Prefix}}service_account_keys DROP KEY expires_idx;
--bun:split
DROP TABLE IF EXISTS {{.Prefix}}service_account_notices;
