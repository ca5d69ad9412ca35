-- Dishes as the meal planner sees them: nutrition and allergens computed from their ingredients in one
-- place (views, so a change of a recipe or an ingredient shows at once), ingredient prices for cost,
-- search keys for names in any script, the athlete's dish preferences, and meal plans with their times.

-- Ingredient and dish names are searched like product names (search_key: script and diacritics ignored).
ALTER TABLE ingredient_translations ADD COLUMN name_key text GENERATED ALWAYS AS (search_key(name)) STORED;
DROP INDEX ingredient_translations_name_trgm_idx;
CREATE INDEX ingredient_translations_name_key_trgm_idx ON ingredient_translations USING gin (name_key gin_trgm_ops);
ALTER TABLE dish_translations ADD COLUMN name_key text GENERATED ALWAYS AS (search_key(name)) STORED;
DROP INDEX dish_translations_name_trgm_idx;
CREATE INDEX dish_translations_name_key_trgm_idx ON dish_translations USING gin (name_key gin_trgm_ops);

-- What an ingredient costs, per kg as used (RSD). `demo` prices come with the seeds.
CREATE TABLE ingredient_prices (
    ingredient_id uuid PRIMARY KEY REFERENCES ingredients (id) ON DELETE CASCADE,
    price_per_kg  numeric(10, 2) NOT NULL CHECK (price_per_kg > 0),
    source        text NOT NULL DEFAULT 'manual' CHECK (source IN ('manual', 'demo')),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER ingredient_prices_updated_at BEFORE UPDATE ON ingredient_prices FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- Per serving: the sum over ingredients of grams / 100 × the value per 100 g, over the recipe's servings.
-- An ingredient with an unknown value leaves the sum a lower bound: `unknown` names those nutrients.
CREATE VIEW dish_nutrition AS
SELECT d.id AS dish_id,
       (sum(di.grams) / d.servings)::float8 AS grams,
       sum(di.grams * i.energy_kcal / 100) / d.servings AS energy_kcal,
       sum(di.grams * i.protein_g / 100) / d.servings AS protein_g,
       sum(di.grams * i.carbohydrate_g / 100) / d.servings AS carbohydrate_g,
       sum(di.grams * i.fat_g / 100) / d.servings AS fat_g,
       sum(di.grams * i.saturated_fat_g / 100) / d.servings AS saturated_fat_g,
       sum(di.grams * i.fiber_g / 100) / d.servings AS fiber_g,
       sum(di.grams * i.sugars_g / 100) / d.servings AS sugars_g,
       sum(di.grams * i.sodium_mg / 100) / d.servings AS sodium_mg,
       sum(di.grams * i.potassium_mg / 100) / d.servings AS potassium_mg,
       sum(di.grams * i.calcium_mg / 100) / d.servings AS calcium_mg,
       sum(di.grams * i.iron_mg / 100) / d.servings AS iron_mg,
       sum(di.grams * i.magnesium_mg / 100) / d.servings AS magnesium_mg,
       sum(di.grams * i.zinc_mg / 100) / d.servings AS zinc_mg,
       sum(di.grams * i.vitamin_c_mg / 100) / d.servings AS vitamin_c_mg,
       sum(di.grams * i.vitamin_d_ug / 100) / d.servings AS vitamin_d_ug,
       sum(di.grams * i.vitamin_b12_ug / 100) / d.servings AS vitamin_b12_ug,
       sum(di.grams * i.vitamin_k_ug / 100) / d.servings AS vitamin_k_ug,
       sum(di.grams * i.caffeine_mg / 100) / d.servings AS caffeine_mg,
       array_remove(ARRAY[
           CASE WHEN bool_or(i.energy_kcal IS NULL) THEN 'energy_kcal' END,
           CASE WHEN bool_or(i.protein_g IS NULL) THEN 'protein_g' END,
           CASE WHEN bool_or(i.carbohydrate_g IS NULL) THEN 'carbohydrate_g' END,
           CASE WHEN bool_or(i.fat_g IS NULL) THEN 'fat_g' END,
           CASE WHEN bool_or(i.saturated_fat_g IS NULL) THEN 'saturated_fat_g' END,
           CASE WHEN bool_or(i.fiber_g IS NULL) THEN 'fiber_g' END,
           CASE WHEN bool_or(i.sugars_g IS NULL) THEN 'sugars_g' END,
           CASE WHEN bool_or(i.sodium_mg IS NULL) THEN 'sodium_mg' END,
           CASE WHEN bool_or(i.potassium_mg IS NULL) THEN 'potassium_mg' END,
           CASE WHEN bool_or(i.calcium_mg IS NULL) THEN 'calcium_mg' END,
           CASE WHEN bool_or(i.iron_mg IS NULL) THEN 'iron_mg' END,
           CASE WHEN bool_or(i.magnesium_mg IS NULL) THEN 'magnesium_mg' END,
           CASE WHEN bool_or(i.zinc_mg IS NULL) THEN 'zinc_mg' END,
           CASE WHEN bool_or(i.vitamin_c_mg IS NULL) THEN 'vitamin_c_mg' END,
           CASE WHEN bool_or(i.vitamin_d_ug IS NULL) THEN 'vitamin_d_ug' END,
           CASE WHEN bool_or(i.vitamin_b12_ug IS NULL) THEN 'vitamin_b12_ug' END,
           CASE WHEN bool_or(i.vitamin_k_ug IS NULL) THEN 'vitamin_k_ug' END,
           CASE WHEN bool_or(i.caffeine_mg IS NULL) THEN 'caffeine_mg' END
       ], NULL) AS unknown,
       -- Cost of a serving from the priced ingredients; complete when every ingredient has a price.
       (sum(di.grams / 1000 * p.price_per_kg) / d.servings)::float8 AS cost,
       bool_and(p.price_per_kg IS NOT NULL) AS cost_complete
FROM dishes d
JOIN dish_ingredients di ON di.dish_id = d.id
JOIN ingredients i ON i.id = di.ingredient_id
LEFT JOIN ingredient_prices p ON p.ingredient_id = i.id
GROUP BY d.id;

-- A dish's allergens: every allergen of its ingredients.
CREATE VIEW dish_allergens AS
SELECT DISTINCT di.dish_id, a.code
FROM dish_ingredients di JOIN ingredient_allergens a ON a.ingredient_id = di.ingredient_id;

-- The athlete's favourite and excluded dishes, and their cuisine preference and daily food budget.
CREATE TABLE dish_preferences (
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    dish_id    uuid NOT NULL REFERENCES dishes (id) ON DELETE CASCADE,
    kind       text NOT NULL CHECK (kind IN ('favourite', 'excluded')),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, dish_id)
);
CREATE TABLE meal_preferences (
    user_id      uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    -- Preferred cuisines first; empty: any.
    cuisines     text[] NOT NULL DEFAULT '{}',
    daily_budget numeric(10, 2) CHECK (daily_budget > 0),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER meal_preferences_updated_at BEFORE UPDATE ON meal_preferences FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- Meal plans: the day's load (very hard days too), what the plan misses, the supplement that fills the
-- protein gap, and each dish's meal time.
ALTER TABLE meal_plans
    DROP CONSTRAINT meal_plans_training_load_check,
    ADD CONSTRAINT meal_plans_training_load_check CHECK (training_load IN ('rest', 'light', 'moderate', 'hard', 'very_hard')),
    ADD COLUMN misses     jsonb NOT NULL DEFAULT '[]',
    ADD COLUMN supplement jsonb,
    ADD COLUMN cost       numeric(12, 2),
    ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();
CREATE TRIGGER meal_plans_updated_at BEFORE UPDATE ON meal_plans FOR EACH ROW EXECUTE FUNCTION set_updated_at();
ALTER TABLE meal_plan_items
    ADD COLUMN meal_time text NOT NULL DEFAULT '12:00' CHECK (meal_time ~ '^[0-2][0-9]:[0-5][0-9]$');
ALTER TABLE meal_plan_items ALTER COLUMN meal_time DROP DEFAULT;
