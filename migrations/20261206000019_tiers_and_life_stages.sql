-- Recommendations in three tiers (recommended / ask your doctor first / not for you).
--
-- A rule names the effect that makes its substance matter for its term: cautions of two terms of one
-- profile against the same substance or the same effect add up to `avoid`, and the substances a rule
-- names for their stimulant effect are never stacked.
ALTER TABLE contraindication_rules ADD COLUMN effect text CHECK (effect IN (
    'stimulant', 'blood_pressure', 'sodium_load', 'potassium_load', 'calcium_load', 'clotting',
    'kidney_load', 'liver_load', 'blood_glucose', 'serotonergic', 'thyroid', 'iron_load'));
COMMENT ON COLUMN contraindication_rules.effect IS 'What makes the substance matter for the term; cautions on one effect add up. NULL for allergies and life stages.';

UPDATE contraindication_rules r SET effect = e.effect
FROM (VALUES
    ('caffeine', 'condition', 'hypertension', 'blood_pressure'),
    ('synephrine', 'condition', 'hypertension', 'blood_pressure'),
    ('yohimbine', 'condition', 'hypertension', 'blood_pressure'),
    ('sodium_bicarbonate', 'condition', 'hypertension', 'sodium_load'),
    ('caffeine', 'condition', 'heart_arrhythmia', 'stimulant'),
    ('synephrine', 'condition', 'heart_arrhythmia', 'stimulant'),
    ('yohimbine', 'condition', 'heart_arrhythmia', 'stimulant'),
    ('caffeine', 'condition', 'anxiety_disorder', 'stimulant'),
    ('yohimbine', 'condition', 'anxiety_disorder', 'stimulant'),
    ('caffeine', 'condition', 'breastfeeding', 'stimulant'),
    ('green_tea_extract', 'condition', 'breastfeeding', 'stimulant'),
    ('caffeine', 'medication_class', 'maoi', 'stimulant'),
    ('synephrine', 'medication_class', 'maoi', 'stimulant'),
    ('caffeine', 'medication_class', 'stimulant', 'stimulant'),
    ('caffeine', 'population', 'minor', 'stimulant'),
    ('green_tea_extract', 'population', 'minor', 'stimulant'),
    ('synephrine', 'population', 'minor', 'stimulant'),
    ('yohimbine', 'population', 'minor', 'stimulant'),
    ('potassium', 'medication_class', 'ace_inhibitor', 'potassium_load'),
    ('potassium', 'condition', 'chronic_kidney_disease', 'potassium_load'),
    ('creatine_monohydrate', 'condition', 'chronic_kidney_disease', 'kidney_load'),
    ('magnesium', 'condition', 'chronic_kidney_disease', 'kidney_load'),
    ('st_johns_wort', 'medication_class', 'anticoagulant_warfarin', 'clotting'),
    ('vitamin_k', 'medication_class', 'anticoagulant_warfarin', 'clotting'),
    ('omega_3', 'medication_class', 'anticoagulant_warfarin', 'clotting'),
    ('st_johns_wort', 'medication_class', 'ssri', 'serotonergic'),
    ('iron', 'condition', 'haemochromatosis', 'iron_load'),
    ('ashwagandha', 'medication_class', 'levothyroxine', 'thyroid'),
    ('green_tea_extract', 'condition', 'liver_disease', 'liver_load')
) AS e (substance, vocabulary, code, effect), substances s
WHERE s.code = e.substance AND r.substance_id = s.id AND r.vocabulary = e.vocabulary AND r.code = e.code;

-- Obstetric guidance keeps all caffeine in pregnancy under 200 mg a day, every source together: a
-- supplement is avoided at any amount. Left alone where an admin has edited the rule.
UPDATE contraindication_rules r SET min_daily_amount = NULL,
    source = 'American College of Obstetricians and Gynecologists. Committee Opinion No. 462: Moderate caffeine consumption during pregnancy. Obstet Gynecol. 2010;116(2 Pt 1):467–468 (reaffirmed); EFSA NDA Panel. Scientific opinion on the safety of caffeine. EFSA Journal 2015;13(5):4102.',
    source_url = 'https://doi.org/10.2903/j.efsa.2015.4102'
FROM substances s
WHERE s.id = r.substance_id AND s.code = 'caffeine' AND r.vocabulary = 'condition' AND r.code = 'pregnancy'
  AND r.updated_at = r.created_at AND r.min_daily_amount = 200;
UPDATE contraindication_rule_translations t SET explanation = x.explanation
FROM contraindication_rules r, substances s,
     (VALUES ('en', 'No caffeine supplement in pregnancy: obstetric guidance keeps all caffeine together (coffee, tea, cola and chocolate) under 200 mg a day, and a supplement''s dose alone takes up that margin.'),
             ('sr-Latn', 'U trudnoći bez suplemenata sa kofeinom: akušerske preporuke drže sav kofein zajedno (kafu, čaj, kolu i čokoladu) ispod 200 mg dnevno, a doza suplementa sama popunjava tu granicu.'),
             ('hu', 'Terhesség alatt ne szedjen koffeines étrend-kiegészítőt: a szülészeti ajánlások szerint az összes koffein együtt (kávé, tea, kóla és csokoládé) napi 200 mg alatt maradjon, és egy kiegészítő adagja egymagában kitölti ezt a keretet.'),
             ('ro', 'Fără suplimente cu cafeină în sarcină: recomandările obstetricale țin toată cafeina la un loc (cafea, ceai, cola și ciocolată) sub 200 mg pe zi, iar doza unui supliment ocupă singură această marjă.'),
             ('ru', 'Никаких добавок с кофеином при беременности: акушерские рекомендации ограничивают весь кофеин вместе (кофе, чай, колу и шоколад) 200 мг в день, а доза добавки одна занимает этот запас.'),
             ('uk', 'Жодних добавок із кофеїном під час вагітності: акушерські рекомендації обмежують увесь кофеїн разом (каву, чай, колу й шоколад) 200 мг на день, а доза добавки сама займає цей запас.'),
             ('sr-Cyrl', 'У трудноћи без суплемената са кофеином: акушерске препоруке држе сав кофеин заједно (кафу, чај, колу и чоколаду) испод 200 мг дневно, а доза суплемента сама попуњава ту границу.')) AS x (locale, explanation)
WHERE t.rule_id = r.id AND s.id = r.substance_id AND s.code = 'caffeine' AND r.vocabulary = 'condition'
  AND r.code = 'pregnancy' AND r.min_daily_amount IS NULL AND r.source LIKE 'American College of Obstetricians%'
  AND t.locale = x.locale;

-- Which substances have safety data on record for a life stage. In pregnancy and while breastfeeding
-- a substance without it is a question for the doctor; under 18 it is kept for adults (sports foods
-- and medical supplements only, as the AIS framework advises for junior athletes).
CREATE TABLE substance_life_stages (
    substance_id uuid NOT NULL REFERENCES substances (id) ON DELETE CASCADE,
    life_stage   text NOT NULL CHECK (life_stage IN ('pregnancy', 'breastfeeding', 'minor')),
    source       text NOT NULL CHECK (length(source) BETWEEN 3 AND 1000),
    source_url   text CHECK (source_url ~ '^https?://'),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (substance_id, life_stage)
);

-- An athlete (or their coach) confirms a product with cautions after talking to their doctor: only
-- then is it recommended and planned. Revoked confirmations stay, dated, as the record.
CREATE TABLE supplement_confirmations (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    product_id   uuid NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    confirmed_by uuid REFERENCES users (id) ON DELETE SET NULL,
    note         text CHECK (length(note) <= 500),
    confirmed_at timestamptz NOT NULL DEFAULT now(),
    revoked_at   timestamptz,
    revoked_by   uuid REFERENCES users (id) ON DELETE SET NULL
);
CREATE UNIQUE INDEX supplement_confirmations_active_idx ON supplement_confirmations (user_id, product_id)
    WHERE revoked_at IS NULL;
CREATE INDEX supplement_confirmations_confirmed_by_idx ON supplement_confirmations (confirmed_by);
CREATE INDEX supplement_confirmations_revoked_by_idx ON supplement_confirmations (revoked_by);
