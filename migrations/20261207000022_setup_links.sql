-- One-time links that let the first admin be created in the browser. Only the SHA-256 of a link's
-- token is kept; every link stops working once an active admin exists.
CREATE TABLE setup_links (
    token_hash bytea PRIMARY KEY CHECK (length(token_hash) = 32),
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);
