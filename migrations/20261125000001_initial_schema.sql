-- Initial schema: locales, users, controlled vocabularies, health profiles, nutrition targets, progress.
-- Conventions: UUID keys, timestamptz, CHECK constraints for every range the domain knows,
-- user-owned rows cascade with their user (account erasure), reference rows RESTRICT.

CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS unaccent;

-- Keeps updated_at honest on every table that has one.
CREATE FUNCTION set_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END $$;

CREATE TABLE locales (
    code     text PRIMARY KEY CHECK (code ~ '^[a-z]{2}(-[A-Z][a-z]{3})?$'),
    name     text NOT NULL,
    -- Where a missing translation is looked up next; NULL ends the chain.
    fallback text REFERENCES locales (code) ON DELETE RESTRICT
);

INSERT INTO locales (code, name, fallback) VALUES
    ('en', 'English', NULL),
    ('sr-Latn', 'Srpski (latinica)', 'en'),
    ('sr-Cyrl', 'Српски (ћирилица)', 'sr-Latn'),
    ('hu', 'Magyar', 'en'),
    ('ro', 'Română', 'en'),
    ('ru', 'Русский', 'en'),
    ('uk', 'Українська', 'en');

CREATE TABLE users (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    email         text NOT NULL,
    password_hash text NOT NULL,
    role          text NOT NULL DEFAULT 'athlete' CHECK (role IN ('athlete', 'coach', 'admin')),
    language      text NOT NULL DEFAULT 'sr-Latn' REFERENCES locales (code) ON DELETE RESTRICT,
    display_name  text CHECK (length(display_name) BETWEEN 1 AND 100),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT users_email_normalised CHECK (email = lower(btrim(email)) AND length(email) BETWEEN 3 AND 254)
);
CREATE UNIQUE INDEX users_email_key ON users (email);
CREATE TRIGGER users_updated_at BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- Controlled vocabularies used for safety decisions (never free text): allergens, conditions,
-- medication classes, and populations derived from the profile (e.g. `minor` for age < 18).
CREATE TABLE vocabulary_terms (
    vocabulary text NOT NULL CHECK (vocabulary IN ('allergen', 'condition', 'medication_class', 'population')),
    code       text NOT NULL CHECK (code ~ '^[a-z][a-z0-9_]{1,62}$'),
    PRIMARY KEY (vocabulary, code)
);

CREATE TABLE vocabulary_term_translations (
    vocabulary  text NOT NULL,
    code        text NOT NULL,
    locale      text NOT NULL REFERENCES locales (code) ON DELETE RESTRICT,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    description text CHECK (length(description) <= 2000),
    PRIMARY KEY (vocabulary, code, locale),
    FOREIGN KEY (vocabulary, code) REFERENCES vocabulary_terms (vocabulary, code) ON DELETE CASCADE
);

CREATE TABLE health_profiles (
    user_id                 uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    birth_date              date NOT NULL CHECK (birth_date > DATE '1900-01-01'),
    sex                     text NOT NULL CHECK (sex IN ('male', 'female')),
    weight_kg               numeric(5, 2) NOT NULL CHECK (weight_kg BETWEEN 25 AND 300),
    height_cm               numeric(5, 1) NOT NULL CHECK (height_cm BETWEEN 100 AND 250),
    body_fat_pct            numeric(4, 1) CHECK (body_fat_pct BETWEEN 2 AND 70),
    activity_level          text NOT NULL CHECK (activity_level IN ('sedentary', 'light', 'moderate', 'active', 'very_active')),
    sport                   text NOT NULL CHECK (sport IN ('endurance', 'strength_power', 'team_sport',
                                                           'weight_class_combat', 'aesthetic', 'general_fitness')),
    training_hours_per_week numeric(4, 1) NOT NULL DEFAULT 0 CHECK (training_hours_per_week BETWEEN 0 AND 60),
    goal                    text NOT NULL CHECK (goal IN ('mass', 'cut', 'maintain', 'endurance', 'performance')),
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER health_profiles_updated_at BEFORE UPDATE ON health_profiles FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- A profile's allergens, conditions and medication classes; populations are derived, never stored.
CREATE TABLE health_profile_terms (
    user_id    uuid NOT NULL REFERENCES health_profiles (user_id) ON DELETE CASCADE,
    vocabulary text NOT NULL CHECK (vocabulary IN ('allergen', 'condition', 'medication_class')),
    code       text NOT NULL,
    PRIMARY KEY (user_id, vocabulary, code),
    FOREIGN KEY (vocabulary, code) REFERENCES vocabulary_terms (vocabulary, code) ON DELETE RESTRICT
);

-- Daily targets computed from a profile; `inputs` records the profile snapshot and formulas used.
CREATE TABLE nutrition_plans (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id        uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    valid_from     date NOT NULL,
    energy_kcal    integer NOT NULL CHECK (energy_kcal BETWEEN 800 AND 8000),
    protein_g      numeric(6, 1) NOT NULL CHECK (protein_g >= 0),
    carbohydrate_g numeric(6, 1) NOT NULL CHECK (carbohydrate_g >= 0),
    fat_g          numeric(6, 1) NOT NULL CHECK (fat_g >= 0),
    fluid_ml       integer CHECK (fluid_ml BETWEEN 0 AND 15000),
    inputs         jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (user_id, valid_from)
);

CREATE TABLE progress_entries (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id        uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    entry_date     date NOT NULL,
    weight_kg      numeric(5, 2) CHECK (weight_kg BETWEEN 25 AND 300),
    body_fat_pct   numeric(4, 1) CHECK (body_fat_pct BETWEEN 2 AND 70),
    energy_kcal    integer CHECK (energy_kcal BETWEEN 0 AND 20000),
    protein_g      numeric(6, 1) CHECK (protein_g BETWEEN 0 AND 2000),
    carbohydrate_g numeric(6, 1) CHECK (carbohydrate_g BETWEEN 0 AND 3000),
    fat_g          numeric(6, 1) CHECK (fat_g BETWEEN 0 AND 1000),
    note           text CHECK (length(note) <= 2000),
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (user_id, entry_date),
    CHECK (num_nonnulls(weight_kg, body_fat_pct, energy_kcal, protein_g, carbohydrate_g, fat_g) > 0)
);
CREATE TRIGGER progress_entries_updated_at BEFORE UPDATE ON progress_entries FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- Reference data loaded by `seed`: which seed set was applied, so an unchanged set is skipped at start-up.
CREATE TABLE seed_runs (
    name       text PRIMARY KEY,
    checksum   text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
);
