-- Sign-in sessions with rotating refresh tokens, coach access grants, and the audit log.

-- A session is one sign-in on one device: the family of refresh tokens issued from one login.
-- Access tokens carry the session id, so revoking a session ends its access at once.
CREATE TABLE sessions (
    id             uuid PRIMARY KEY,
    user_id        uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at     timestamptz NOT NULL DEFAULT now(),
    last_used_at   timestamptz NOT NULL DEFAULT now(),
    expires_at     timestamptz NOT NULL,
    revoked_at     timestamptz,
    revoked_reason text CHECK (revoked_reason IN ('logout', 'owner', 'password_changed', 'reuse_detected')),
    ip             inet,
    user_agent     text CHECK (length(user_agent) <= 512)
);
CREATE INDEX sessions_user_idx ON sessions (user_id, created_at DESC);

-- Refresh tokens are stored only as SHA-256 hashes of 256-bit random values. A token is used once:
-- using it sets `used_at` and issues its successor; presenting a used token again revokes the session.
CREATE TABLE refresh_tokens (
    token_hash bytea PRIMARY KEY CHECK (length(token_hash) = 32),
    session_id uuid NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    issued_at  timestamptz NOT NULL DEFAULT now(),
    used_at    timestamptz
);
CREATE INDEX refresh_tokens_session_idx ON refresh_tokens (session_id);

-- An athlete lets a coach read their profile, targets and progress; the athlete can withdraw it.
CREATE TABLE coach_grants (
    athlete_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    coach_id   uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    granted_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (athlete_id, coach_id),
    CHECK (athlete_id <> coach_id)
);
CREATE INDEX coach_grants_coach_idx ON coach_grants (coach_id);

-- Every sign-in (success or failure) and every admin action. Erasing an account keeps its security
-- events but drops the personal data in them (see the account erasure query).
CREATE TABLE audit_log (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at         timestamptz NOT NULL DEFAULT now(),
    action     text NOT NULL CHECK (action ~ '^[a-z_]+(\.[a-z_]+)+$'),
    outcome    text NOT NULL CHECK (outcome IN ('success', 'failure')),
    actor_id   uuid REFERENCES users (id) ON DELETE SET NULL,
    subject_id uuid,
    email      text CHECK (length(email) <= 254),
    ip         inet,
    user_agent text CHECK (length(user_agent) <= 512),
    details    jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX audit_log_at_idx ON audit_log (at DESC);
CREATE INDEX audit_log_action_idx ON audit_log (action, at DESC);
CREATE INDEX audit_log_actor_idx ON audit_log (actor_id, at DESC) WHERE actor_id IS NOT NULL;
CREATE INDEX audit_log_subject_idx ON audit_log (subject_id, at DESC) WHERE subject_id IS NOT NULL;
