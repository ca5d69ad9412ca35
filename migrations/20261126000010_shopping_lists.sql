-- Shopping plans an athlete saved: the plan as the API answered it, with its total and stores for lists.

CREATE TABLE shopping_lists (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name       text CHECK (length(name) BETWEEN 1 AND 120),
    days       integer NOT NULL CHECK (days BETWEEN 1 AND 366),
    total      numeric(14, 2) NOT NULL CHECK (total >= 0),
    currency   text NOT NULL DEFAULT 'RSD' CHECK (currency ~ '^[A-Z]{3}$'),
    -- Slugs of the stores the plan buys from.
    stores     text[] NOT NULL DEFAULT '{}',
    plan       jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX shopping_lists_user_idx ON shopping_lists (user_id, created_at DESC);
