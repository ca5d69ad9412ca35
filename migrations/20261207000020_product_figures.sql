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
    INSERT INTO product_figures AS f (product_id, stores_in_stock, best_price, price_per_serving,
                                      price_per_100g_protein, next_change)
    SELECT p.id, coalesce(b.stores, 0), b.best_price, b.price_per_serving, b.price_per_100g_protein, nc.at
    -- From the ids, one product at a time through the indexes, whatever the tables' statistics say
    -- (a first import into a fresh catalogue has none).
    FROM (SELECT DISTINCT id FROM unnest(ids) AS u (id)) u
    JOIN products p ON p.id = u.id
    CROSS JOIN LATERAL (
        SELECT count(DISTINCT o.store_id)::integer AS stores, min(o.effective_price) AS best_price,
               min(o.price_per_serving) AS price_per_serving,
               min(o.price_per_100g_protein) AS price_per_100g_protein
        FROM current_offers o WHERE o.product_id = p.id AND o.in_stock
    ) b
    CROSS JOIN LATERAL (
        SELECT min(t) AS at
        FROM product_packages pk
        JOIN prices pr ON pr.package_id = pk.id
        CROSS JOIN LATERAL (VALUES (pr.discount_starts_at), (pr.discount_ends_at)) AS v (t)
        WHERE pk.product_id = p.id AND pr.discount_price IS NOT NULL AND v.t > now()
    ) nc
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
    locale      text NOT NULL REFERENCES locales (code) ON DELETE CASCADE,
    name        text NOT NULL,
    name_locale text NOT NULL,
    name_key    text NOT NULL,
    PRIMARY KEY (product_id, locale)
);
CREATE INDEX product_names_sort_idx ON product_names (locale, name_key, product_id);

-- Names only change with translations; a migration that adds a locale or changes a fallback calls
-- this for every product.
CREATE FUNCTION refresh_product_names(ids uuid[]) RETURNS void LANGUAGE sql SET jit = off AS $$
    DELETE FROM product_names WHERE product_id = ANY (ids);
    INSERT INTO product_names (product_id, locale, name, name_locale, name_key)
    SELECT p.id, l.code, localized(n.name, n.locale, l.code), localized_locale(n.locale, l.code), n.name_key
    FROM (SELECT DISTINCT id FROM unnest(ids) AS u (id)) u
    JOIN products p ON p.id = u.id
    CROSS JOIN locales l
    CROSS JOIN LATERAL (
        SELECT t.name, t.locale, t.name_key
        FROM product_translations t LEFT JOIN locale_chain(l.code) c ON c.code = t.locale
        WHERE t.product_id = p.id ORDER BY c.depth NULLS LAST, t.locale LIMIT 1
    ) n;
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
