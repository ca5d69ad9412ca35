-- Two vocabulary terms the contraindication rules (seeds/catalogue/contraindication_rules.csv) refer to:
-- the condition `haemochromatosis` (iron overload: no iron supplements) and the medication class
-- `ace_inhibitor` (ACE inhibitors and angiotensin-receptor blockers, which raise blood potassium).

INSERT INTO vocabulary_terms (vocabulary, code) VALUES
    ('condition', 'haemochromatosis'),
    ('medication_class', 'ace_inhibitor');

INSERT INTO vocabulary_term_translations (vocabulary, code, locale, name) VALUES
    ('condition', 'haemochromatosis', 'en', 'Haemochromatosis (iron overload)'),
    ('condition', 'haemochromatosis', 'sr-Latn', 'Hemohromatoza (višak gvožđa)'),
    ('condition', 'haemochromatosis', 'sr-Cyrl', 'Хемохроматоза (вишак гвожђа)'),
    ('condition', 'haemochromatosis', 'hu', 'Hemokromatózis (vastúlterhelés)'),
    ('condition', 'haemochromatosis', 'ro', 'Hemocromatoză (exces de fier)'),
    ('condition', 'haemochromatosis', 'ru', 'Гемохроматоз (избыток железа)'),
    ('condition', 'haemochromatosis', 'uk', 'Гемохроматоз (надлишок заліза)'),
    ('medication_class', 'ace_inhibitor', 'en', 'ACE inhibitor or sartan (ARB)'),
    ('medication_class', 'ace_inhibitor', 'sr-Latn', 'ACE inhibitor ili sartan'),
    ('medication_class', 'ace_inhibitor', 'sr-Cyrl', 'АЦЕ инхибитор или сартан'),
    ('medication_class', 'ace_inhibitor', 'hu', 'ACE-gátló vagy szartán'),
    ('medication_class', 'ace_inhibitor', 'ro', 'Inhibitor ECA sau sartan'),
    ('medication_class', 'ace_inhibitor', 'ru', 'Ингибитор АПФ или сартан'),
    ('medication_class', 'ace_inhibitor', 'uk', 'Інгібітор АПФ або сартан');

COMMENT ON COLUMN contraindication_rules.min_daily_amount IS 'The rule applies only when the daily amount (in the substance''s unit) is above this; NULL: any amount.';
