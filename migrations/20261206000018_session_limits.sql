-- Destructive admin operations need the password entered again shortly before; a restore ends
-- every session of the restored database.
ALTER TABLE sessions ADD COLUMN reauthenticated_at timestamptz;

ALTER TABLE sessions DROP CONSTRAINT sessions_revoked_reason_check;
ALTER TABLE sessions ADD CONSTRAINT sessions_revoked_reason_check
    CHECK (revoked_reason IN ('logout', 'owner', 'password_changed', 'reuse_detected', 'admin', 'disabled',
                              'restore'));
