-- The backup manifest: every attempt, what it produced and how it was verified. The same entries are
-- mirrored to manifest.json beside the files, so the backups can be read without the database.

CREATE TABLE backups (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    file_name           text NOT NULL UNIQUE CHECK (file_name ~ '^sn-[0-9]{8}T[0-9]{6}Z-[0-9a-f]{8}\.dump$'),
    node                text NOT NULL,
    trigger             text NOT NULL CHECK (trigger IN ('schedule', 'manual', 'cli', 'safety')),
    status              text NOT NULL CHECK (status IN ('running', 'ok', 'failed')),
    error               text,
    started_at          timestamptz NOT NULL DEFAULT now(),
    finished_at         timestamptz,
    duration_ms         integer,
    size_bytes          bigint CHECK (size_bytes >= 0),
    sha256              text CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    schema_version      bigint,
    pg_dump_version     text,
    verified_at         timestamptz,
    verify_ok           boolean,
    verify_detail       text,
    deep_verified_at    timestamptz,
    deep_verify_ok      boolean,
    -- {table: [backup rows, live rows]} and any error.
    deep_verify_detail  jsonb,
    deleted_at          timestamptz,
    CHECK (status <> 'ok' OR (sha256 IS NOT NULL AND size_bytes IS NOT NULL))
);
CREATE INDEX backups_started_idx ON backups (started_at DESC);

-- Scheduled jobs claim their tick here, so that one node runs each (the advisory lock keeps two from
-- running at once; this keeps a late node from running the same tick again).
CREATE TABLE job_runs (
    job        text NOT NULL,
    tick       timestamptz NOT NULL,
    node       text NOT NULL,
    claimed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (job, tick)
);
