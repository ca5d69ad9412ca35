-- Admins disable accounts (sign-in refused, every session ended) and end a user's sessions.
ALTER TABLE users ADD COLUMN disabled_at timestamptz;

ALTER TABLE sessions DROP CONSTRAINT sessions_revoked_reason_check;
ALTER TABLE sessions ADD CONSTRAINT sessions_revoked_reason_check
    CHECK (revoked_reason IN ('logout', 'owner', 'password_changed', 'reuse_detected', 'admin', 'disabled'));
