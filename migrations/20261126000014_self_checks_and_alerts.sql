-- Each node's self-check reports, the alerts they raise and every notification sent for them.

CREATE TABLE self_checks (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    node        text NOT NULL,
    checked_at  timestamptz NOT NULL DEFAULT now(),
    ok          boolean NOT NULL,
    -- {"checks": [{"name", "ok", "value", "threshold", "unit", "detail"}], "requests": {...}}
    report      jsonb NOT NULL
);
CREATE INDEX self_checks_node_idx ON self_checks (node, checked_at DESC);
CREATE INDEX self_checks_checked_idx ON self_checks (checked_at);

CREATE TABLE alerts (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    rule              text NOT NULL CHECK (rule ~ '^[a-z][a-z0-9_]{0,63}$'),
    -- The node the condition is about, or 'cluster' for the shared database and backups.
    scope             text NOT NULL CHECK (length(scope) BETWEEN 1 AND 255),
    state             text NOT NULL CHECK (state IN ('pending', 'firing', 'resolved')),
    value             double precision,
    threshold         double precision,
    message           text NOT NULL,
    pending_since     timestamptz NOT NULL DEFAULT now(),
    fired_at          timestamptz,
    resolved_at       timestamptz,
    last_notified_at  timestamptz,
    updated_at        timestamptz NOT NULL DEFAULT now(),
    CHECK (state = 'pending' OR fired_at IS NOT NULL),
    CHECK (state <> 'resolved' OR resolved_at IS NOT NULL)
);
-- At most one open alert per rule and scope: nodes evaluating the same rule meet here.
CREATE UNIQUE INDEX alerts_open_idx ON alerts (rule, scope) WHERE state IN ('pending', 'firing');
CREATE INDEX alerts_updated_idx ON alerts (updated_at DESC);

CREATE TABLE alert_notifications (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    alert_id     uuid NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
    event        text NOT NULL CHECK (event IN ('firing', 'repeat', 'resolved')),
    channel      text NOT NULL CHECK (channel IN ('webhook', 'email')),
    status       text NOT NULL CHECK (status IN ('sending', 'sent', 'failed')),
    attempts     integer NOT NULL DEFAULT 0,
    error        text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz
);
CREATE INDEX alert_notifications_alert_idx ON alert_notifications (alert_id, created_at);
