-- Catalogue search, store delivery terms and feeds, promotions, and the price-feed import with its
-- review queue.

-- The form names are compared in: Cyrillic transliterated (Serbian rules, Russian and Ukrainian letters
-- too), diacritics dropped, lower case, đ and dj the same. `cevapi` finds `ćevapi` and `ћевапи`.
CREATE FUNCTION search_key(text) RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN lower(public.unaccent('public.unaccent'::regdictionary,
        translate(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(lower($1), 'ђ', 'dj'), 'љ', 'lj'), 'њ', 'nj'), 'џ', 'dz'), 'щ', 'sc'), 'ю', 'ju'), 'я', 'ja'), 'є', 'je'), 'ї', 'ji'), 'đ', 'dj'), 'Ђ', 'dj'), 'Љ', 'lj'), 'Њ', 'nj'), 'Џ', 'dz'), 'Щ', 'sc'), 'Ю', 'ju'), 'Я', 'ja'), 'Є', 'je'), 'Ї', 'ji'), 'Đ', 'dj'), 'абвгдежзийклмнопрстуфхцчшћыэёіґАБВГДЕЖЗИЙКЛМНОПРСТУФХЦЧШЋЫЭЁІҐьъЬЪ', 'abvgdezzijklmnoprstufhccscyeeigabvgdezzijklmnoprstufhccscyeeig')));
ALTER TABLE product_translations
    ADD COLUMN name_key text GENERATED ALWAYS AS (search_key(name)) STORED;
DROP INDEX product_translations_name_trgm_idx;
CREATE INDEX product_translations_name_key_trgm_idx ON product_translations USING gin (name_key gin_trgm_ops);

-- What a substance's evidence is, by the AIS Sports Supplement Framework group (A strongest, D avoid).
ALTER TABLE substances
    ADD COLUMN evidence text CHECK (evidence IN ('A', 'B', 'C', 'D')),
    ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();
CREATE TRIGGER substances_updated_at BEFORE UPDATE ON substances FOR EACH ROW EXECUTE FUNCTION set_updated_at();

ALTER TABLE stores
    ADD COLUMN delivery_days_min smallint CHECK (delivery_days_min BETWEEN 0 AND 60),
    ADD COLUMN delivery_days_max smallint CHECK (delivery_days_max BETWEEN 0 AND 60),
    -- Fetched on the feed schedule when set; may carry a token, so never shown in full.
    ADD COLUMN feed_url text CHECK (feed_url ~ '^https?://' AND length(feed_url) <= 2000),
    ADD CONSTRAINT stores_delivery_days_order CHECK (delivery_days_min <= delivery_days_max);

-- `demo`: the seeded prices for trying the appliance, shown as such until a feed or an admin replaces them.
ALTER TABLE prices DROP CONSTRAINT prices_source_check,
    ADD CONSTRAINT prices_source_check CHECK (source IN ('manual', 'feed', 'demo'));

-- A promotion runs from `discount_starts_at` (NULL: already) to `discount_ends_at` (NULL: until changed).
ALTER TABLE prices
    ADD COLUMN discount_starts_at timestamptz,
    ADD CONSTRAINT prices_discount_window CHECK (discount_starts_at IS NULL OR discount_ends_at IS NULL
                                                 OR discount_starts_at < discount_ends_at),
    ADD CONSTRAINT prices_discount_dates_need_price CHECK (discount_starts_at IS NULL OR discount_price IS NOT NULL);

-- What a customer pays now for each package in each active store, and what that means per serving and per
-- 100 g of protein. Prices are numeric (RSD with para), never floating point.
CREATE VIEW current_offers AS
SELECT pr.store_id, pr.package_id, pk.product_id, pr.price, pr.discount_price, pr.in_stock, pr.observed_at,
       pr.source,
       eff.price AS effective_price,
       round(eff.price / pk.servings, 2) AS price_per_serving,
       CASE WHEN pk.size_unit = 'g' AND p.protein_g_per_100g > 0
            THEN round(eff.price / (pk.size * p.protein_g_per_100g / 100) * 100, 2) END AS price_per_100g_protein,
       CASE WHEN pk.size_unit IN ('g', 'ml') THEN round(eff.price / pk.size * 100, 2) END AS price_per_100_units
FROM prices pr
JOIN stores s ON s.id = pr.store_id AND s.is_active
JOIN product_packages pk ON pk.id = pr.package_id
JOIN products p ON p.id = pk.product_id
CROSS JOIN LATERAL (
    SELECT CASE WHEN pr.discount_price IS NOT NULL
                 AND (pr.discount_starts_at IS NULL OR pr.discount_starts_at <= now())
                 AND (pr.discount_ends_at IS NULL OR pr.discount_ends_at > now())
                THEN pr.discount_price ELSE pr.price END AS price
) eff;

-- A store's own article numbers, learned when an admin approves a fed row: the second way to match.
CREATE TABLE store_skus (
    store_id   uuid NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
    sku        text NOT NULL CHECK (length(sku) BETWEEN 1 AND 100),
    package_id uuid NOT NULL REFERENCES product_packages (id) ON DELETE CASCADE,
    created_by uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (store_id, sku)
);
CREATE INDEX store_skus_package_id_idx ON store_skus (package_id);

-- One import of a store's price list, whatever its outcome.
CREATE TABLE price_feed_runs (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    store_id      uuid NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
    trigger       text NOT NULL CHECK (trigger IN ('upload', 'schedule', 'fetch')),
    format        text CHECK (format IN ('csv', 'json')),
    file_sha256   text CHECK (file_sha256 ~ '^[0-9a-f]{64}$'),
    file_bytes    bigint NOT NULL DEFAULT 0 CHECK (file_bytes >= 0),
    -- applied: the good rows were written; rejected: the file was refused and nothing written;
    -- failed: it could not be read or fetched; dry_run: checked, nothing written.
    status        text NOT NULL CHECK (status IN ('applied', 'rejected', 'failed', 'dry_run')),
    rows_read     integer NOT NULL DEFAULT 0,
    rows_applied  integer NOT NULL DEFAULT 0,
    rows_unchanged integer NOT NULL DEFAULT 0,
    rows_queued   integer NOT NULL DEFAULT 0,
    rows_rejected integer NOT NULL DEFAULT 0,
    -- [{line, field, message}] for the rows and columns refused, capped.
    problems      jsonb NOT NULL DEFAULT '[]',
    duration_ms   integer NOT NULL DEFAULT 0,
    actor_id      uuid REFERENCES users (id) ON DELETE SET NULL,
    started_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX price_feed_runs_store_idx ON price_feed_runs (store_id, started_at DESC);

-- Fed rows that did not match a package with enough confidence, or whose price looks wrong: an admin
-- approves (naming the package; the SKU is remembered) or rejects them. One pending item per store and
-- article: a later import refreshes it instead of queueing it again.
CREATE TABLE price_review_items (
    id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    store_id             uuid NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
    run_id               uuid REFERENCES price_feed_runs (id) ON DELETE SET NULL,
    line                 integer NOT NULL,
    match_key            text NOT NULL,
    reason               text NOT NULL CHECK (reason IN ('no_match', 'low_confidence', 'price_jump')),
    sku                  text,
    gtin                 text,
    brand                text,
    name                 text NOT NULL,
    size                 text,
    price                numeric(12, 2) NOT NULL CHECK (price > 0),
    discount_price       numeric(12, 2) CHECK (discount_price > 0 AND discount_price < price),
    in_stock             boolean NOT NULL,
    candidate_package_id uuid REFERENCES product_packages (id) ON DELETE SET NULL,
    confidence           real CHECK (confidence BETWEEN 0 AND 1),
    status               text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected')),
    decided_by           uuid REFERENCES users (id) ON DELETE SET NULL,
    decided_at           timestamptz,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX price_review_items_pending_idx ON price_review_items (store_id, match_key) WHERE status = 'pending';
CREATE INDEX price_review_items_status_idx ON price_review_items (status, created_at);
CREATE TRIGGER price_review_items_updated_at BEFORE UPDATE ON price_review_items FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- The locales to try for a translation, best first: the requested one, then its fallbacks.
CREATE FUNCTION locale_chain(start text) RETURNS TABLE (code text, depth integer) LANGUAGE sql STABLE
AS $$
    WITH RECURSIVE chain(code, depth) AS (
        SELECT l.code, 0 FROM locales l WHERE l.code = start
        UNION ALL
        SELECT l.fallback, c.depth + 1 FROM chain c JOIN locales l ON l.code = c.code WHERE l.fallback IS NOT NULL
    )
    SELECT chain.code, chain.depth FROM chain
$$;
