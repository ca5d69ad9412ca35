-- Stores, current prices per package and store, and the price history kept by a trigger.

CREATE TABLE stores (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    slug               text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND length(slug) <= 80),
    name               text NOT NULL CHECK (length(name) BETWEEN 1 AND 120),
    website            text CHECK (website ~ '^https?://'),
    city               text CHECK (length(city) <= 100),
    currency           text NOT NULL DEFAULT 'RSD' CHECK (currency ~ '^[A-Z]{3}$'),
    delivery_fee       numeric(12, 2) NOT NULL DEFAULT 0 CHECK (delivery_fee >= 0),
    -- Orders at or above this total ship free; NULL: never free.
    free_delivery_from numeric(12, 2) CHECK (free_delivery_from >= 0),
    min_order          numeric(12, 2) NOT NULL DEFAULT 0 CHECK (min_order >= 0),
    is_active          boolean NOT NULL DEFAULT true,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER stores_updated_at BEFORE UPDATE ON stores FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TABLE store_translations (
    store_id    uuid NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
    locale      text NOT NULL REFERENCES locales (code) ON DELETE RESTRICT,
    description text NOT NULL CHECK (length(description) BETWEEN 1 AND 2000),
    PRIMARY KEY (store_id, locale)
);

-- Money is numeric, in the store's currency.
CREATE TABLE prices (
    store_id         uuid NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
    package_id       uuid NOT NULL REFERENCES product_packages (id) ON DELETE CASCADE,
    price            numeric(12, 2) NOT NULL CHECK (price > 0),
    discount_price   numeric(12, 2) CHECK (discount_price > 0 AND discount_price < price),
    discount_ends_at timestamptz,
    in_stock         boolean NOT NULL DEFAULT true,
    source           text NOT NULL DEFAULT 'manual' CHECK (source IN ('manual', 'feed')),
    observed_at      timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (store_id, package_id),
    CHECK (discount_ends_at IS NULL OR discount_price IS NOT NULL)
);
CREATE INDEX prices_package_id_idx ON prices (package_id);
CREATE TRIGGER prices_updated_at BEFORE UPDATE ON prices FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TABLE price_history (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    store_id       uuid NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
    package_id     uuid NOT NULL REFERENCES product_packages (id) ON DELETE CASCADE,
    price          numeric(12, 2) NOT NULL,
    discount_price numeric(12, 2),
    in_stock       boolean NOT NULL,
    source         text NOT NULL,
    observed_at    timestamptz NOT NULL
);
CREATE INDEX price_history_lookup_idx ON price_history (package_id, store_id, observed_at DESC);

-- Every change of what a customer pays (or whether they can buy) is kept, in one place.
CREATE FUNCTION record_price_history() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT'
       OR (NEW.price, NEW.discount_price, NEW.in_stock) IS DISTINCT FROM (OLD.price, OLD.discount_price, OLD.in_stock) THEN
        INSERT INTO price_history (store_id, package_id, price, discount_price, in_stock, source, observed_at)
        VALUES (NEW.store_id, NEW.package_id, NEW.price, NEW.discount_price, NEW.in_stock, NEW.source, NEW.observed_at);
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER prices_history AFTER INSERT OR UPDATE ON prices FOR EACH ROW EXECUTE FUNCTION record_price_history();
