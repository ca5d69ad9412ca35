-- Foods (USDA SR28) with nutrients and household portions, dishes as recipes over them, and meal plans.

-- Nutrients per 100 g of edible portion. NULL means not analysed (unknown), never zero.
CREATE TABLE ingredients (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    source          text NOT NULL DEFAULT 'custom' CHECK (source IN ('usda_sr28', 'custom')),
    -- USDA NDB number, kept by FoodData Central for every SR Legacy food.
    usda_ndb_no     text UNIQUE CHECK (usda_ndb_no ~ '^[0-9]{5}$'),
    food_group      text NOT NULL CHECK (length(food_group) BETWEEN 1 AND 100),
    energy_kcal     double precision CHECK (energy_kcal >= 0),
    protein_g       double precision CHECK (protein_g >= 0),
    fat_g           double precision CHECK (fat_g >= 0),
    saturated_fat_g double precision CHECK (saturated_fat_g >= 0),
    carbohydrate_g  double precision CHECK (carbohydrate_g >= 0),
    fiber_g         double precision CHECK (fiber_g >= 0),
    sugars_g        double precision CHECK (sugars_g >= 0),
    water_g         double precision CHECK (water_g >= 0),
    sodium_mg       double precision CHECK (sodium_mg >= 0),
    potassium_mg    double precision CHECK (potassium_mg >= 0),
    calcium_mg      double precision CHECK (calcium_mg >= 0),
    iron_mg         double precision CHECK (iron_mg >= 0),
    magnesium_mg    double precision CHECK (magnesium_mg >= 0),
    zinc_mg         double precision CHECK (zinc_mg >= 0),
    vitamin_c_mg    double precision CHECK (vitamin_c_mg >= 0),
    vitamin_d_ug    double precision CHECK (vitamin_d_ug >= 0),
    vitamin_b12_ug  double precision CHECK (vitamin_b12_ug >= 0),
    vitamin_k_ug    double precision CHECK (vitamin_k_ug >= 0),
    caffeine_mg     double precision CHECK (caffeine_mg >= 0),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CHECK ((source = 'usda_sr28') = (usda_ndb_no IS NOT NULL))
);
CREATE INDEX ingredients_food_group_idx ON ingredients (food_group);
CREATE TRIGGER ingredients_updated_at BEFORE UPDATE ON ingredients FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TABLE ingredient_translations (
    ingredient_id uuid NOT NULL REFERENCES ingredients (id) ON DELETE CASCADE,
    locale        text NOT NULL REFERENCES locales (code) ON DELETE RESTRICT,
    name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 300),
    PRIMARY KEY (ingredient_id, locale)
);
CREATE INDEX ingredient_translations_name_trgm_idx ON ingredient_translations USING gin (name gin_trgm_ops);

CREATE TABLE ingredient_allergens (
    ingredient_id uuid NOT NULL REFERENCES ingredients (id) ON DELETE CASCADE,
    vocabulary    text NOT NULL DEFAULT 'allergen' CHECK (vocabulary = 'allergen'),
    code          text NOT NULL,
    PRIMARY KEY (ingredient_id, code),
    FOREIGN KEY (vocabulary, code) REFERENCES vocabulary_terms (vocabulary, code) ON DELETE RESTRICT
);

-- USDA household measures: "1 large" egg = 50 g. `seq` keeps the source order (units repeat in SR28).
CREATE TABLE food_portions (
    ingredient_id uuid NOT NULL REFERENCES ingredients (id) ON DELETE CASCADE,
    seq           smallint NOT NULL CHECK (seq >= 1),
    amount        numeric(8, 3) NOT NULL CHECK (amount > 0),
    unit          text NOT NULL CHECK (length(unit) BETWEEN 1 AND 120),
    grams         numeric(8, 2) NOT NULL CHECK (grams > 0),
    PRIMARY KEY (ingredient_id, seq)
);

CREATE TABLE dishes (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    slug             text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND length(slug) <= 80),
    cuisine          text NOT NULL DEFAULT 'serbian' CHECK (cuisine ~ '^[a-z_]{2,40}$'),
    meal_types       text[] NOT NULL CHECK (cardinality(meal_types) > 0
                                            AND meal_types <@ ARRAY['breakfast', 'lunch', 'dinner', 'snack']),
    -- Portions the recipe makes; ingredient grams are for the whole recipe.
    servings         smallint NOT NULL CHECK (servings BETWEEN 1 AND 100),
    cooking_time_min integer CHECK (cooking_time_min BETWEEN 0 AND 1440),
    difficulty       text CHECK (difficulty IN ('easy', 'medium', 'hard')),
    -- Weight of the finished dish when measured; NULL when not (water gained and lost is unknown).
    cooked_weight_g  numeric(8, 1) CHECK (cooked_weight_g > 0),
    notes            text CHECK (length(notes) <= 2000),
    is_active        boolean NOT NULL DEFAULT true,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX dishes_meal_types_idx ON dishes USING gin (meal_types);
CREATE TRIGGER dishes_updated_at BEFORE UPDATE ON dishes FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TABLE dish_translations (
    dish_id      uuid NOT NULL REFERENCES dishes (id) ON DELETE CASCADE,
    locale       text NOT NULL REFERENCES locales (code) ON DELETE RESTRICT,
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    instructions text CHECK (length(instructions) <= 10000),
    PRIMARY KEY (dish_id, locale)
);
CREATE INDEX dish_translations_name_trgm_idx ON dish_translations USING gin (name gin_trgm_ops);

CREATE TABLE dish_ingredients (
    dish_id       uuid NOT NULL REFERENCES dishes (id) ON DELETE CASCADE,
    ingredient_id uuid NOT NULL REFERENCES ingredients (id) ON DELETE RESTRICT,
    -- Raw, edible weight for the whole recipe (dry weight for beans, rice, oats).
    grams         numeric(8, 1) NOT NULL CHECK (grams > 0 AND grams <= 50000),
    note          text CHECK (length(note) <= 500),
    PRIMARY KEY (dish_id, ingredient_id)
);
CREATE INDEX dish_ingredients_ingredient_id_idx ON dish_ingredients (ingredient_id);

CREATE TABLE meal_plans (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    plan_date     date NOT NULL,
    training_load text CHECK (training_load IN ('rest', 'light', 'moderate', 'hard')),
    -- Targets the plan was built for and what it achieves, as computed at generation time.
    targets       jsonb NOT NULL DEFAULT '{}'::jsonb,
    totals        jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (user_id, plan_date)
);

CREATE TABLE meal_plan_items (
    meal_plan_id uuid NOT NULL REFERENCES meal_plans (id) ON DELETE CASCADE,
    position     smallint NOT NULL CHECK (position >= 1),
    meal_type    text NOT NULL CHECK (meal_type IN ('breakfast', 'lunch', 'dinner', 'snack')),
    dish_id      uuid NOT NULL REFERENCES dishes (id) ON DELETE RESTRICT,
    servings     numeric(4, 2) NOT NULL CHECK (servings > 0 AND servings <= 10),
    PRIMARY KEY (meal_plan_id, position)
);
CREATE INDEX meal_plan_items_dish_id_idx ON meal_plan_items (dish_id);
