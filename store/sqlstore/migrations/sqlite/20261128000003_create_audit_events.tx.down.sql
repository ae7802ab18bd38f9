DROP TABLE IF EXISTS {{.Prefix}}service_account_audit_events;
