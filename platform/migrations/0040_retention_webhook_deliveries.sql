-- Retention of event-webhook deliveries (issue 21, part 3): a finished delivery's stored
-- body (report content; reporter identity on a staff subscription that asked for it) is
-- deleted after the command's WEBHOOK_DELIVERIES rule (default 90 days), so the log and
-- replays reach back that far and no further (tenants/privacy/retention.py).
ALTER TABLE retention_rules DROP CONSTRAINT retention_rules_category_check;
ALTER TABLE retention_rules ADD CONSTRAINT retention_rules_category_check CHECK (category IN (
    'REPORTER_IDENTITY', 'REPORT_PHOTOS', 'NOTIFICATIONS', 'WEBHOOK_DELIVERIES'));
