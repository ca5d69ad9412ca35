//! Serbian is written in two scripts: Cyrillic text is derived from Latin when none is stored.

/// Latin digraphs that are one Cyrillic letter, in every capitalisation Serbian uses.
const DIGRAPHS: [(&str, char); 9] = [
    ("LJ", 'Љ'),
    ("Lj", 'Љ'),
    ("lj", 'љ'),
    ("NJ", 'Њ'),
    ("Nj", 'Њ'),
    ("nj", 'њ'),
    ("DŽ", 'Џ'),
    ("Dž", 'Џ'),
    ("dž", 'џ'),
];

const LATIN: &str = "abcčćdđefghijklmnoprsštuvzžABCČĆDĐEFGHIJKLMNOPRSŠTUVZŽ";
const CYRILLIC: &str = "абцчћдђефгхијклмнопрсштувзжАБЦЧЋДЂЕФГХИЈКЛМНОПРСШТУВЗЖ";

/// Serbian Latin to Cyrillic, deterministically: `lj`, `nj` and `dž` (and `Lj`, `LJ`, …) become one
/// letter, every other Serbian letter its counterpart; anything else (q, w, x, y, digits, other
/// scripts) is kept. The database's `sr_cyrillic()` does exactly the same.
pub fn latin_to_cyrillic(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    let mut rest = text;
    'outer: while let Some(c) = rest.chars().next() {
        for (digraph, letter) in DIGRAPHS {
            if let Some(after) = rest.strip_prefix(digraph) {
                out.push(letter);
                rest = after;
                continue 'outer;
            }
        }
        out.push(
            LATIN
                .chars()
                .position(|l| l == c)
                .and_then(|i| CYRILLIC.chars().nth(i))
                .unwrap_or(c),
        );
        rest = &rest[c.len_utf8()..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters_and_digraphs_in_every_capitalisation() {
        assert_eq!(latin_to_cyrillic("Ćevapi"), "Ћевапи");
        assert_eq!(
            latin_to_cyrillic("Karađorđeva šnicla"),
            "Карађорђева шницла"
        );
        assert_eq!(
            latin_to_cyrillic("Ljutenica, LJUTO, ljuto"),
            "Љутеница, ЉУТО, љуто"
        );
        assert_eq!(latin_to_cyrillic("Njegoš NJEGOŠ njiva"), "Његош ЊЕГОШ њива");
        assert_eq!(latin_to_cyrillic("Džem DŽEM odžak"), "Џем ЏЕМ оџак");
        assert_eq!(latin_to_cyrillic("Pasulj i prebranac"), "Пасуљ и пребранац");
        assert_eq!(latin_to_cyrillic("Sarma"), "Сарма");
    }

    #[test]
    fn what_is_not_serbian_latin_is_kept() {
        assert_eq!(
            latin_to_cyrillic("Whey 100% – 2,5 kg (x2)"),
            "Wхеy 100% – 2,5 кг (x2)"
        );
        assert_eq!(latin_to_cyrillic("Ћевапи"), "Ћевапи");
        assert_eq!(latin_to_cyrillic(""), "");
    }

    #[test]
    fn the_transliteration_is_a_function_of_the_text_alone() {
        for s in ["lj", "Lj", "lJ", "nJ", "dŽ", "DŽak", "đ", "Đ", "Q"] {
            assert_eq!(latin_to_cyrillic(s), latin_to_cyrillic(s));
        }
        // Mixed-case digraphs Serbian never writes are letter for letter.
        assert_eq!(latin_to_cyrillic("lJ"), "лЈ");
    }
}
