-- A staff member's TOTP factor removed by their command's tenant admin or the platform
-- operator (lost phone and recovery codes): a security event the user sees
-- (platform/auth/totp.py reset_factor).
ALTER TABLE security_events DROP CONSTRAINT security_events_kind_check;
ALTER TABLE security_events ADD CONSTRAINT security_events_kind_check CHECK (kind IN (
    'new_device', 'lockout', 'totp_enabled', 'recovery_codes', 'recovery_code_used',
    'totp_reset'));
