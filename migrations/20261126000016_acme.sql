-- ACME (tls.mode = "acme"): the account at each CA, the certificates (private keys sealed with
-- tls.acme.storage_key), the challenges any node answers while an order is validated, and every
-- attempt to obtain a certificate, for admins.

CREATE TABLE acme_accounts (
    directory_url      text PRIMARY KEY,
    -- instant-acme's AccountCredentials (JSON with the account key), sealed.
    credentials_sealed bytea NOT NULL,
    created_at         timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE tls_certificates (
    id             bigserial PRIMARY KEY,
    -- The domains on the certificate, lower case, sorted, comma-separated.
    name           text NOT NULL,
    directory_url  text NOT NULL,
    chain_pem      text NOT NULL,
    key_sealed     bytea NOT NULL,
    serial         text NOT NULL,
    not_before     timestamptz NOT NULL,
    not_after      timestamptz NOT NULL,
    node           text NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    CHECK (not_after > not_before)
);
CREATE INDEX tls_certificates_by_name ON tls_certificates (name, id DESC);

CREATE TABLE acme_challenges (
    kind              text NOT NULL CHECK (kind IN ('http-01', 'tls-alpn-01')),
    -- The token (http-01) or the domain (tls-alpn-01).
    name              text NOT NULL,
    key_authorization text NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (kind, name)
);

CREATE TABLE acme_attempts (
    id             bigserial PRIMARY KEY,
    name           text NOT NULL,
    node           text NOT NULL,
    reason         text NOT NULL CHECK (reason IN ('first', 'renewal', 'forced')),
    challenge      text NOT NULL,
    directory_url  text NOT NULL,
    started_at     timestamptz NOT NULL DEFAULT now(),
    finished_at    timestamptz,
    outcome        text NOT NULL DEFAULT 'running' CHECK (outcome IN ('running', 'issued', 'failed')),
    error          text,
    certificate_id bigint REFERENCES tls_certificates (id) ON DELETE SET NULL,
    -- After a failure: no node tries again before this.
    retry_at       timestamptz,
    CHECK ((outcome = 'running') = (finished_at IS NULL))
);
CREATE INDEX acme_attempts_by_name ON acme_attempts (name, id DESC);
