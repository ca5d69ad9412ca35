-- Supplement catalogue: brands, active substances, products with packages, and contraindication rules.

CREATE TABLE brands (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    slug           text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND length(slug) <= 80),
    name           text NOT NULL CHECK (length(name) BETWEEN 1 AND 120),
    origin_country text CHECK (origin_country ~ '^[A-Z]{2}$'),
    -- A Serbian brand.
    is_local       boolean NOT NULL DEFAULT false,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER brands_updated_at BEFORE UPDATE ON brands FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- An active ingredient with the unit its amounts are given in (caffeine: mg, creatine: g, vitamin K: ug).
CREATE TABLE substances (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    code       text NOT NULL UNIQUE CHECK (code ~ '^[a-z][a-z0-9_]{1,62}$'),
    unit       text NOT NULL CHECK (unit IN ('g', 'mg', 'ug', 'iu')),
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE substance_translations (
    substance_id uuid NOT NULL REFERENCES substances (id) ON DELETE CASCADE,
    locale       text NOT NULL REFERENCES locales (code) ON DELETE RESTRICT,
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    PRIMARY KEY (substance_id, locale)
);

CREATE TABLE products (
    id                      uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    slug                    text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND length(slug) <= 120),
    brand_id                uuid NOT NULL REFERENCES brands (id) ON DELETE RESTRICT,
    product_type            text NOT NULL CHECK (product_type IN ('protein', 'creatine', 'amino', 'vitamin_mineral',
                                'pre_workout', 'post_workout', 'carbohydrate', 'electrolyte', 'fat_burner', 'other')),
    serving_size            numeric(8, 2) NOT NULL CHECK (serving_size > 0),
    serving_unit            text NOT NULL CHECK (serving_unit IN ('g', 'ml', 'unit')),
    energy_kcal_per_100g    numeric(6, 1) CHECK (energy_kcal_per_100g BETWEEN 0 AND 900),
    protein_g_per_100g      numeric(5, 1) CHECK (protein_g_per_100g BETWEEN 0 AND 100),
    carbohydrate_g_per_100g numeric(5, 1) CHECK (carbohydrate_g_per_100g BETWEEN 0 AND 100),
    fat_g_per_100g          numeric(5, 1) CHECK (fat_g_per_100g BETWEEN 0 AND 100),
    is_available            boolean NOT NULL DEFAULT true,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX products_brand_id_idx ON products (brand_id);
CREATE INDEX products_product_type_idx ON products (product_type);
CREATE TRIGGER products_updated_at BEFORE UPDATE ON products FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TABLE product_translations (
    product_id  uuid NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    locale      text NOT NULL REFERENCES locales (code) ON DELETE RESTRICT,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    description text CHECK (length(description) <= 5000),
    PRIMARY KEY (product_id, locale)
);
CREATE INDEX product_translations_name_trgm_idx ON product_translations USING gin (name gin_trgm_ops);

CREATE TABLE product_substances (
    product_id         uuid NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    substance_id       uuid NOT NULL REFERENCES substances (id) ON DELETE RESTRICT,
    -- In the substance's unit.
    amount_per_serving numeric(12, 3) NOT NULL CHECK (amount_per_serving > 0),
    PRIMARY KEY (product_id, substance_id)
);
CREATE INDEX product_substances_substance_id_idx ON product_substances (substance_id);

CREATE TABLE product_allergens (
    product_id uuid NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    vocabulary text NOT NULL DEFAULT 'allergen' CHECK (vocabulary = 'allergen'),
    code       text NOT NULL,
    PRIMARY KEY (product_id, code),
    FOREIGN KEY (vocabulary, code) REFERENCES vocabulary_terms (vocabulary, code) ON DELETE RESTRICT
);
CREATE INDEX product_allergens_code_idx ON product_allergens (code);

CREATE TABLE product_packages (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    product_id uuid NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    size       numeric(10, 2) NOT NULL CHECK (size > 0),
    size_unit  text NOT NULL CHECK (size_unit IN ('g', 'ml', 'unit')),
    servings   numeric(8, 2) NOT NULL CHECK (servings > 0),
    -- GTIN-8, -12 (UPC), -13 (EAN) or -14.
    gtin       text UNIQUE CHECK (gtin ~ '^([0-9]{8}|[0-9]{12,14})$'),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX product_packages_product_id_idx ON product_packages (product_id);
CREATE TRIGGER product_packages_updated_at BEFORE UPDATE ON product_packages FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- Safety rules are data: substance x (allergen | condition | medication class | population) -> severity.
CREATE TABLE contraindication_rules (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    substance_id        uuid NOT NULL REFERENCES substances (id) ON DELETE CASCADE,
    vocabulary          text NOT NULL,
    code                text NOT NULL,
    severity            text NOT NULL CHECK (severity IN ('avoid', 'caution', 'info')),
    -- The rule applies only from this daily amount (in the substance's unit); NULL: any amount.
    min_daily_amount    numeric(12, 3) CHECK (min_daily_amount > 0),
    source              text NOT NULL CHECK (length(source) BETWEEN 3 AND 1000),
    source_url          text CHECK (source_url ~ '^https?://'),
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (vocabulary, code) REFERENCES vocabulary_terms (vocabulary, code) ON DELETE RESTRICT,
    UNIQUE (substance_id, vocabulary, code)
);
CREATE INDEX contraindication_rules_term_idx ON contraindication_rules (vocabulary, code);
CREATE TRIGGER contraindication_rules_updated_at BEFORE UPDATE ON contraindication_rules FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TABLE contraindication_rule_translations (
    rule_id     uuid NOT NULL REFERENCES contraindication_rules (id) ON DELETE CASCADE,
    locale      text NOT NULL REFERENCES locales (code) ON DELETE RESTRICT,
    explanation text NOT NULL CHECK (length(explanation) BETWEEN 1 AND 2000),
    PRIMARY KEY (rule_id, locale)
);
