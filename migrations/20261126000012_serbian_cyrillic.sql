-- Serbian Cyrillic derived from Latin when no Cyrillic text is stored: the same deterministic
-- transliteration as `domain::script::latin_to_cyrillic` (the digraphs lj, nj, dž and their
-- capitalisations first, then letter for letter; letters Serbian does not use are kept).

CREATE FUNCTION sr_cyrillic(text) RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN translate(
        replace(replace(replace(replace(replace(replace(replace(replace(replace($1,
            'LJ', 'Љ'), 'Lj', 'Љ'), 'lj', 'љ'), 'NJ', 'Њ'), 'Nj', 'Њ'), 'nj', 'њ'), 'DŽ', 'Џ'), 'Dž', 'Џ'), 'dž', 'џ'),
        'abcčćdđefghijklmnoprsštuvzžABCČĆDĐEFGHIJKLMNOPRSŠTUVZŽ',
        'абцчћдђефгхијклмнопрсштувзжАБЦЧЋДЂЕФГХИЈКЛМНОПРСШТУВЗЖ');

-- A stored translation as shown in the locale asked for: Latin Serbian text asked for in Cyrillic is
-- transliterated; anything else is shown as stored (the fallback chain chose it).
CREATE FUNCTION localized(value text, found text, wanted text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE WHEN wanted = 'sr-Cyrl' AND found = 'sr-Latn' THEN sr_cyrillic(value) ELSE value END;

-- The locale of what `localized` shows.
CREATE FUNCTION localized_locale(found text, wanted text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE WHEN wanted = 'sr-Cyrl' AND found = 'sr-Latn' THEN 'sr-Cyrl' ELSE found END;
