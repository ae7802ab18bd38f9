DROP TABLE IF EXISTS {{.Prefix}}service_account_changes;
--bun:split
DROP TABLE IF EXISTS {{.Prefix}}service_account_change_head;
