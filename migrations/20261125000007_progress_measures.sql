-- Progress entries also record the waist, sleep and the day's training, so trends can be read
-- against what the athlete did. An entry needs at least one value or a note.
ALTER TABLE progress_entries
    ADD COLUMN waist_cm         numeric(4, 1) CHECK (waist_cm BETWEEN 40 AND 250),
    ADD COLUMN sleep_hours      numeric(3, 1) CHECK (sleep_hours BETWEEN 0 AND 24),
    ADD COLUMN training_minutes integer CHECK (training_minutes BETWEEN 0 AND 1440),
    ADD COLUMN training_load    text CHECK (training_load IN ('rest', 'light', 'moderate', 'hard', 'very_hard')),
    DROP CONSTRAINT progress_entries_check,
    ADD CONSTRAINT progress_entries_not_empty CHECK (
        num_nonnulls(weight_kg, body_fat_pct, waist_cm, sleep_hours, training_minutes, training_load,
                     energy_kcal, protein_g, carbohydrate_g, fat_g, note) > 0);
