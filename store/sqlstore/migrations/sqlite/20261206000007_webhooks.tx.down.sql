DROP TABLE IF EXISTS {{.Prefix}}service_account_deliveries;
--bun:split
DROP TABLE IF EXISTS {{.Prefix}}service_account_webhooks;
