-- What the catalogue lists, filters and sorts products by, kept current by the writes that change it,
-- so that a list reads a row per product instead of aggregating every price row of the catalogue and
-- walking every product's translations along the locale chain on every request.
--
-- Every function here runs without JIT, whoever calls it: a plan's cost estimate over tables without
-- statistics (a fresh catalogue, a transition table) turns JIT on, and compiling costs 100–300 ms per
-- statement, for work that takes a millisecond.

-- Each product's price figures.
CREATE TABLE product_figures (
    product_id             uuid PRIMARY KEY REFERENCES products (id) ON DELETE CASCADE,
    stores_in_stock        integer NOT NULL DEFAULT 0,
    best_price             numeric(12, 2),
    price_per_serving      numeric(12, 2),
    price_per_100g_protein numeric(12, 2),
    -- The next instant a discount of the product starts or ends: the figures change then without a
    -- write, and the nodes' refresher recomputes them (src/ops/price_figures.rs).
    next_change            timestamptz
);
CREATE INDEX product_figures_best_price_idx ON product_figures (best_price);
CREATE INDEX product_figures_price_per_serving_idx ON product_figures (price_per_serving);
CREATE INDEX product_figures_price_per_100g_protein_idx ON product_figures (price_per_100g_protein);
CREATE INDEX product_figures_next_change_idx ON product_figures (next_change) WHERE next_change IS NOT NULL;

-- The figures of these products, from what current_offers says now.
CREATE FUNCTION refresh_product_figures(ids uuid[]) RETURNS void LANGUAGE sql SET jit = off AS $$
    -- Set-based (hash joins over the products asked for), not a lookup per product: a first import
    -- into a fresh catalogue, without statistics yet, would otherwise plan thousands of scans.
    WITH wanted AS (SELECT DISTINCT id FROM unnest(ids) AS u (id)),
    offers AS (
        SELECT o.product_id, count(DISTINCT o.store_id)::integer AS stores, min(o.effective_price) AS best_price,
               min(o.price_per_serving) AS price_per_serving,
               min(o.price_per_100g_protein) AS price_per_100g_protein
        FROM current_offers o JOIN wanted w ON w.id = o.product_id
        WHERE o.in_stock
        GROUP BY o.product_id
    ),
    changes AS (
        SELECT pk.product_id, min(v.t) AS at
        FROM wanted w
        JOIN product_packages pk ON pk.product_id = w.id
        JOIN prices pr ON pr.package_id = pk.id
        CROSS JOIN LATERAL (VALUES (pr.discount_starts_at), (pr.discount_ends_at)) AS v (t)
        WHERE pr.discount_price IS NOT NULL AND v.t > now()
        GROUP BY pk.product_id
    )
    INSERT INTO product_figures AS f (product_id, stores_in_stock, best_price, price_per_serving,
                                      price_per_100g_protein, next_change)
    SELECT p.id, coalesce(o.stores, 0), o.best_price, o.price_per_serving, o.price_per_100g_protein, c.at
    FROM wanted w
    JOIN products p ON p.id = w.id
    LEFT JOIN offers o ON o.product_id = p.id
    LEFT JOIN changes c ON c.product_id = p.id
    ON CONFLICT (product_id) DO UPDATE SET
        stores_in_stock = EXCLUDED.stores_in_stock, best_price = EXCLUDED.best_price,
        price_per_serving = EXCLUDED.price_per_serving,
        price_per_100g_protein = EXCLUDED.price_per_100g_protein, next_change = EXCLUDED.next_change
    WHERE (f.stores_in_stock, f.best_price, f.price_per_serving, f.price_per_100g_protein, f.next_change)
          IS DISTINCT FROM (EXCLUDED.stores_in_stock, EXCLUDED.best_price, EXCLUDED.price_per_serving,
                            EXCLUDED.price_per_100g_protein, EXCLUDED.next_change)
$$;

-- Statement-level triggers, so that a feed import of thousands of rows recomputes each product it
-- touched once. Rows only seen again (observed_at) change nothing.
CREATE FUNCTION prices_refresh_figures() RETURNS trigger LANGUAGE plpgsql SET jit = off AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM refresh_product_figures(ARRAY(
            SELECT DISTINCT pk.product_id FROM new_rows n JOIN product_packages pk ON pk.id = n.package_id));
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM refresh_product_figures(ARRAY(
            SELECT DISTINCT pk.product_id FROM old_rows o JOIN product_packages pk ON pk.id = o.package_id));
    ELSE
        PERFORM refresh_product_figures(ARRAY(
            SELECT DISTINCT pk.product_id
            FROM (
                (SELECT store_id, package_id, price, discount_price, discount_starts_at, discount_ends_at, in_stock
                 FROM new_rows
                 EXCEPT
                 SELECT store_id, package_id, price, discount_price, discount_starts_at, discount_ends_at, in_stock
                 FROM old_rows)
                UNION ALL
                (SELECT store_id, package_id, price, discount_price, discount_starts_at, discount_ends_at, in_stock
                 FROM old_rows
                 EXCEPT
                 SELECT store_id, package_id, price, discount_price, discount_starts_at, discount_ends_at, in_stock
                 FROM new_rows)
            ) changed
            JOIN product_packages pk ON pk.id = changed.package_id));
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER prices_figures_insert AFTER INSERT ON prices REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION prices_refresh_figures();
CREATE TRIGGER prices_figures_update AFTER UPDATE ON prices REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION prices_refresh_figures();
CREATE TRIGGER prices_figures_delete AFTER DELETE ON prices REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION prices_refresh_figures();

-- A package's size or servings change its per-serving and per-protein prices; a package deleted takes
-- its prices with it (their own trigger cannot find the package any more).
CREATE FUNCTION packages_refresh_figures() RETURNS trigger LANGUAGE plpgsql SET jit = off AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM refresh_product_figures(ARRAY(SELECT DISTINCT product_id FROM old_rows));
    ELSE
        PERFORM refresh_product_figures(ARRAY(
            SELECT product_id FROM new_rows UNION SELECT product_id FROM old_rows));
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER packages_figures_update AFTER UPDATE ON product_packages
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION packages_refresh_figures();
CREATE TRIGGER packages_figures_delete AFTER DELETE ON product_packages REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION packages_refresh_figures();

-- A new product has figures (no offers yet); its protein content prices its protein.
CREATE FUNCTION products_refresh_figures() RETURNS trigger LANGUAGE plpgsql SET jit = off AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM refresh_product_figures(ARRAY(SELECT id FROM new_rows));
    ELSE
        PERFORM refresh_product_figures(ARRAY(
            SELECT n.id FROM new_rows n JOIN old_rows o ON o.id = n.id
            WHERE n.protein_g_per_100g IS DISTINCT FROM o.protein_g_per_100g));
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER products_figures_insert AFTER INSERT ON products REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION products_refresh_figures();
CREATE TRIGGER products_figures_update AFTER UPDATE ON products
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION products_refresh_figures();

-- Only active stores' offers count.
CREATE FUNCTION stores_refresh_figures() RETURNS trigger LANGUAGE plpgsql SET jit = off AS $$
BEGIN
    PERFORM refresh_product_figures(ARRAY(
        SELECT DISTINCT pk.product_id
        FROM new_rows n JOIN old_rows o ON o.id = n.id
        JOIN prices pr ON pr.store_id = n.id
        JOIN product_packages pk ON pk.id = pr.package_id
        WHERE n.is_active IS DISTINCT FROM o.is_active));
    RETURN NULL;
END
$$;
CREATE TRIGGER stores_figures_update AFTER UPDATE ON stores
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION stores_refresh_figures();

-- Each product's name as shown in each locale: the first translation along the locale chain (Serbian
-- Latin transliterated when Cyrillic is asked for), and the search key of that translation.
CREATE TABLE product_names (
    product_id  uuid NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    -- Locales are written by migrations only (no foreign key to check on each of these rows).
    locale      text NOT NULL,
    name        text NOT NULL,
    name_locale text NOT NULL,
    name_key    text NOT NULL,
    PRIMARY KEY (product_id, locale)
);
CREATE INDEX product_names_sort_idx ON product_names (locale, name_key, product_id);

-- Names only change with translations; a migration that adds a locale or changes a fallback calls
-- this for every product.
CREATE FUNCTION refresh_product_names(ids uuid[]) RETURNS void LANGUAGE sql SET jit = off AS $$
    DELETE FROM product_names n USING (SELECT DISTINCT id FROM unnest(ids) AS u (id)) u
    WHERE n.product_id = u.id;
    WITH wanted AS (SELECT DISTINCT id FROM unnest(ids) AS u (id)),
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
    SELECT product_id, shown, localized(name, locale, shown), localized_locale(locale, shown), name_key FROM first;
$$;

CREATE FUNCTION translations_refresh_names() RETURNS trigger LANGUAGE plpgsql SET jit = off AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM refresh_product_names(ARRAY(SELECT DISTINCT product_id FROM new_rows));
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM refresh_product_names(ARRAY(SELECT DISTINCT product_id FROM old_rows));
    ELSE
        PERFORM refresh_product_names(ARRAY(
            SELECT product_id FROM new_rows UNION SELECT product_id FROM old_rows));
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER translations_names_insert AFTER INSERT ON product_translations REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION translations_refresh_names();
CREATE TRIGGER translations_names_update AFTER UPDATE ON product_translations
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION translations_refresh_names();
CREATE TRIGGER translations_names_delete AFTER DELETE ON product_translations REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION translations_refresh_names();

SELECT refresh_product_figures(ARRAY(SELECT id FROM products));
SELECT refresh_product_names(ARRAY(SELECT id FROM products));
