-- What lets a page of the product list cost what the page holds rather than what the catalogue
-- holds: a list sorted by name walks an index of the names, and a search of several words is one
-- trigram-index lookup that intersects the words, instead of gathering every product each word
-- matches on its own.

-- Every product has a name row in every locale, with NULLs when it has no translation at all, so
-- that the name order (NULL names last, as the list shows them) is product_names_sort_idx.
ALTER TABLE product_names
    ALTER COLUMN name DROP NOT NULL,
    ALTER COLUMN name_locale DROP NOT NULL,
    ALTER COLUMN name_key DROP NOT NULL;

-- What a search matches a product against: its brand and every translation of its name, in the
-- search form (`search_key`).
CREATE TABLE product_search (
    product_id uuid PRIMARY KEY REFERENCES products (id) ON DELETE CASCADE,
    document   text NOT NULL
);
CREATE INDEX product_search_document_trgm_idx ON product_search USING gin (document gin_trgm_ops);
-- Estimating a trigram condition runs it over the column's statistics sample, at every plan: a
-- small sample keeps planning a search near a millisecond, and the plan only needs to know whether a
-- word is rare or common.
ALTER TABLE product_search ALTER COLUMN document SET STATISTICS 10;

CREATE OR REPLACE FUNCTION refresh_product_names(ids uuid[]) RETURNS void LANGUAGE sql SET jit = off AS $$
    DELETE FROM product_names n USING (SELECT DISTINCT id FROM unnest(ids) AS u (id)) u
    WHERE n.product_id = u.id;
    DELETE FROM product_search s USING (SELECT DISTINCT id FROM unnest(ids) AS u (id)) u
    WHERE s.product_id = u.id;
    -- A product deleted (its translations going with it) is not written back.
    WITH wanted AS (SELECT DISTINCT p.id FROM unnest(ids) AS u (id) JOIN products p ON p.id = u.id),
    chains AS (
        SELECT l.code AS shown, c.code, c.depth FROM locales l CROSS JOIN LATERAL locale_chain(l.code) c
    ),
    first AS (
        SELECT DISTINCT ON (t.product_id, l.code) t.product_id, l.code AS shown, t.name, t.locale, t.name_key
        FROM wanted w
        JOIN product_translations t ON t.product_id = w.id
        CROSS JOIN locales l
        LEFT JOIN chains ch ON ch.shown = l.code AND ch.code = t.locale
        ORDER BY t.product_id, l.code, ch.depth NULLS LAST, t.locale
    )
    INSERT INTO product_names (product_id, locale, name, name_locale, name_key)
    SELECT w.id, l.code, localized(f.name, f.locale, l.code), localized_locale(f.locale, l.code), f.name_key
    FROM wanted w
    CROSS JOIN locales l
    LEFT JOIN first f ON f.product_id = w.id AND f.shown = l.code;
    INSERT INTO product_search (product_id, document)
    SELECT p.id, concat_ws(' ', search_key(b.name), string_agg(t.name_key, ' ' ORDER BY t.locale))
    FROM (SELECT DISTINCT id FROM unnest(ids) AS u (id)) w
    JOIN products p ON p.id = w.id
    JOIN brands b ON b.id = p.brand_id
    LEFT JOIN product_translations t ON t.product_id = p.id
    GROUP BY p.id, b.name;
$$;

-- A new product is listed (under its slug) before its translations arrive; a product that changes
-- brand is found under the new one.
CREATE FUNCTION products_refresh_names() RETURNS trigger LANGUAGE plpgsql SET jit = off AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM refresh_product_names(ARRAY(SELECT id FROM new_rows));
    ELSE
        PERFORM refresh_product_names(ARRAY(
            SELECT n.id FROM new_rows n JOIN old_rows o ON o.id = n.id WHERE n.brand_id IS DISTINCT FROM o.brand_id));
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER products_names_insert AFTER INSERT ON products REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION products_refresh_names();
CREATE TRIGGER products_names_update AFTER UPDATE ON products
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION products_refresh_names();

-- A brand renamed is found under its new name.
CREATE FUNCTION brands_refresh_search() RETURNS trigger LANGUAGE plpgsql SET jit = off AS $$
BEGIN
    PERFORM refresh_product_names(ARRAY(
        SELECT p.id FROM new_rows n JOIN old_rows o ON o.id = n.id JOIN products p ON p.brand_id = n.id
        WHERE n.name IS DISTINCT FROM o.name));
    RETURN NULL;
END
$$;
CREATE TRIGGER brands_search_update AFTER UPDATE ON brands
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION brands_refresh_search();

SELECT refresh_product_names(ARRAY(SELECT id FROM products));

-- The products whose search document holds every word (or nearly: a typo), with how well they match:
-- the mean over words of 1 for a word found as written and its word similarity for one found nearly.
-- Planned for the words at hand, and through the trigram index: the planner takes the trigram
-- operators for cheap and would otherwise read the whole catalogue, checking each word against
-- each document, where the index intersects the words' trigrams.
CREATE FUNCTION product_search_hits(words text[])
    RETURNS TABLE (product_id uuid, relevance real)
    LANGUAGE plpgsql STABLE ROWS 100 SET jit = off SET enable_seqscan = off AS $$
DECLARE
    keys text[] := ARRAY(
        SELECT DISTINCT k FROM unnest(words) AS w, unnest(string_to_array(search_key(w), ' ')) AS k WHERE k <> '');
    matches text := '';
    score text := '';
    found text;
BEGIN
    IF cardinality(keys) = 0 THEN
        RETURN QUERY SELECT s.product_id, 1::real FROM product_search s;
        RETURN;
    END IF;
    FOR i IN 1 .. cardinality(keys) LOOP
        found := format('s.document LIKE %L', '%' || replace(replace(replace(keys[i], '\', '\\'), '%', '\%'), '_', '\_') || '%');
        matches := matches || format(' AND (%s OR %L <%% s.document)', found, keys[i]);
        score := score || format(' + CASE WHEN %s THEN 1 ELSE word_similarity(%L, s.document) END', found, keys[i]);
    END LOOP;
    RETURN QUERY EXECUTE format('SELECT s.product_id, ((0 %s) / %s)::real FROM product_search s WHERE true %s',
                                score, cardinality(keys), matches);
END
$$;


-- What the pages that show offers read beside the prices (the store's terms, the package), so that
-- they read this view alone: joining its tables a second time costs more to plan than to run.
CREATE OR REPLACE VIEW current_offers AS
SELECT pr.store_id, pr.package_id, pk.product_id, pr.price, pr.discount_price, pr.in_stock, pr.observed_at,
       pr.source,
       eff.price AS effective_price,
       round(eff.price / pk.servings, 2) AS price_per_serving,
       CASE WHEN pk.size_unit = 'g' AND p.protein_g_per_100g > 0
            THEN round(eff.price / (pk.size * p.protein_g_per_100g / 100) * 100, 2) END AS price_per_100g_protein,
       CASE WHEN pk.size_unit IN ('g', 'ml') THEN round(eff.price / pk.size * 100, 2) END AS price_per_100_units,
       pr.discount_ends_at,
       s.slug AS store_slug, s.name AS store_name, s.currency, s.delivery_fee, s.free_delivery_from, s.min_order,
       s.delivery_days_min, s.delivery_days_max,
       pk.size, pk.size_unit, pk.servings
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
