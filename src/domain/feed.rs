//! Store price feeds: reading a CSV or JSON price list from outside, and matching its rows to
//! catalogue packages (by GTIN, by the store's SKU, or fuzzily by brand, name and size).
//!
//! Parsing never panics and never trusts the input: the file is refused as a whole when it cannot be a
//! price list (encoding, structure, missing columns), and row by row (with line numbers) otherwise.

use std::collections::HashMap;

use rust_decimal::Decimal;
use serde_json::Value;
use uuid::Uuid;

use super::catalogue::Gtin;

/// Rows in a feed beyond this are refused: a price list, not a dump.
pub const MAX_ROWS: usize = 100_000;
/// A price above this (RSD) is a typo.
pub const MAX_PRICE: Decimal = Decimal::from_parts(10_000_000, 0, 0, false, 0);
/// A new price this many times the last known one (or its inverse) waits for review.
pub const PRICE_JUMP_FACTOR: Decimal = Decimal::from_parts(10, 0, 0, false, 0);
/// Problems kept per run; the count is exact, the list is capped.
pub const MAX_PROBLEMS: usize = 200;
const TEXT_MAX_CHARS: usize = 300;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Json,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Json => "json",
        }
    }
}

/// A package size in its base unit: grams, millilitres or units (capsules, tablets, bars).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Size {
    pub amount: Decimal,
    pub unit: SizeUnit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SizeUnit {
    Gram,
    Millilitre,
    Unit,
}

impl SizeUnit {
    pub fn parse(stored: &str) -> Option<Self> {
        match stored {
            "g" => Some(Self::Gram),
            "ml" => Some(Self::Millilitre),
            "unit" => Some(Self::Unit),
            _ => None,
        }
    }
}

/// One usable row of a feed.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedRow {
    /// The CSV line, or the JSON item's position (1-based).
    pub line: u32,
    pub sku: Option<String>,
    pub gtin: Option<Gtin>,
    pub brand: Option<String>,
    pub name: String,
    pub size_text: Option<String>,
    pub size: Option<Size>,
    pub price: Decimal,
    pub discount_price: Option<Decimal>,
    pub in_stock: bool,
}

impl FeedRow {
    /// What identifies the store's article across imports: its SKU, else its GTIN, else brand, name and size.
    pub fn match_key(&self) -> String {
        match (&self.sku, &self.gtin) {
            (Some(sku), _) => format!("sku:{sku}"),
            (None, Some(gtin)) => format!("gtin:{}", gtin.as_str()),
            _ => format!(
                "name:{}|{}|{}",
                normalize(self.brand.as_deref().unwrap_or("")),
                normalize(&self.name),
                normalize(self.size_text.as_deref().unwrap_or(""))
            ),
        }
    }
}

/// A row or column that was refused.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    pub line: u32,
    pub field: String,
    pub message: String,
}

/// Why a whole file was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileError {
    #[error("the file is empty")]
    Empty,
    #[error("the file is not UTF-8 text (byte {0} is not valid UTF-8); export it as UTF-8")]
    Encoding(usize),
    #[error("the file has no {0} column (columns found: {1})")]
    MissingColumn(&'static str, String),
    #[error("the file has more than {MAX_ROWS} rows")]
    TooManyRows,
    #[error("the file cannot be read as {0}: {1}")]
    Malformed(&'static str, String),
}

/// `message` with every double-quoted text in it (the file's own values and header cells, as the
/// problems quote them) replaced by `"…"`.
pub fn without_quoted(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut chars = message.chars();
    while let Some(c) = chars.next() {
        out.push(c);
        if c == '"' {
            let mut escaped = false;
            for q in chars.by_ref() {
                match (escaped, q) {
                    (false, '\\') => escaped = true,
                    (false, '"') => break,
                    _ => escaped = false,
                }
            }
            out.push_str("…\"");
        }
    }
    out
}

/// A parsed feed: its usable rows and the rows refused.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    pub format: Format,
    pub rows_read: usize,
    pub rows: Vec<FeedRow>,
    pub problems: Vec<Problem>,
}

/// JSON when the text starts with `[` or `{`, else CSV.
pub fn detect(text: &str) -> Format {
    match text.trim_start().as_bytes().first() {
        Some(b'[' | b'{') => Format::Json,
        _ => Format::Csv,
    }
}

/// Reads a feed in either format (see `seeds/feeds/README.md`).
pub fn parse(bytes: &[u8]) -> Result<Parsed, FileError> {
    let text = std::str::from_utf8(bytes).map_err(|e| FileError::Encoding(e.valid_up_to()))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return Err(FileError::Empty);
    }
    match detect(text) {
        Format::Csv => parse_csv(text),
        Format::Json => parse_json(text),
    }
}

/// Column names and their accepted aliases (compared trimmed and case-insensitively).
const COLUMNS: &[(&str, &[&str])] = &[
    ("sku", &["sku", "sifra", "šifra", "article", "code"]),
    ("gtin", &["gtin", "ean", "barcode", "barkod"]),
    ("brand", &["brand", "brend", "proizvodjac", "proizvođač"]),
    ("name", &["name", "naziv", "product"]),
    (
        "size",
        &["size", "pakovanje", "velicina", "veličina", "package"],
    ),
    ("price", &["price", "cena", "cijena"]),
    (
        "discount_price",
        &["discount_price", "sale_price", "akcijska_cena", "akcija"],
    ),
    (
        "in_stock",
        &["in_stock", "stock", "available", "na_stanju", "dostupno"],
    ),
];

fn column_of(header: &str) -> Option<&'static str> {
    let h = header.trim().to_lowercase();
    COLUMNS
        .iter()
        .find(|(_, aliases)| aliases.contains(&h.as_str()))
        .map(|(name, _)| *name)
}

fn parse_csv(text: &str) -> Result<Parsed, FileError> {
    let first_line = text.lines().next().unwrap_or("");
    // Serbian spreadsheets export with `;`; tabs from copy-paste.
    let delimiter = [b';', b'\t', b',']
        .into_iter()
        .max_by_key(|d| first_line.bytes().filter(|b| b == d).count())
        .unwrap_or(b',');
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| FileError::Malformed("CSV", e.to_string()))?
        .clone();
    let index: HashMap<&str, usize> = headers
        .iter()
        .enumerate()
        .filter_map(|(i, h)| column_of(h).map(|c| (c, i)))
        .collect();
    for required in ["name", "price"] {
        if !index.contains_key(required) {
            let found: Vec<String> = headers
                .iter()
                .take(20)
                .map(|h| format!("{:?}", h.chars().take(40).collect::<String>()))
                .collect();
            return Err(FileError::MissingColumn(required, found.join(", ")));
        }
    }
    // The csv crate counts a record from the blank lines before it: number lines from its first byte.
    let newlines: Vec<usize> = text.match_indices('\n').map(|(i, _)| i).collect();
    let line_at = |byte: usize| {
        let start = byte + text[byte.min(text.len())..].len()
            - text[byte.min(text.len())..]
                .trim_start_matches(['\r', '\n'])
                .len();
        newlines.partition_point(|&n| n < start) as u32 + 1
    };
    let mut parsed = Parsed {
        format: Format::Csv,
        rows_read: 0,
        rows: Vec::new(),
        problems: Vec::new(),
    };
    for record in reader.records() {
        parsed.rows_read += 1;
        if parsed.rows_read > MAX_ROWS {
            return Err(FileError::TooManyRows);
        }
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| line_at(p.byte() as usize));
                push(
                    &mut parsed.problems,
                    line,
                    "row",
                    format!("unreadable: {e}"),
                );
                continue;
            }
        };
        let line = record.position().map_or(0, |p| line_at(p.byte() as usize));
        if record.iter().all(|f| f.trim().is_empty()) {
            parsed.rows_read -= 1; // blank lines are not rows
            continue;
        }
        let get = |c: &str| {
            index
                .get(c)
                .and_then(|&i| record.get(i))
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(|v| Value::String(v.to_owned()))
        };
        let fields: HashMap<&str, Value> = COLUMNS
            .iter()
            .filter_map(|(c, _)| get(c).map(|v| (*c, v)))
            .collect();
        row(line, &fields, &mut parsed);
    }
    Ok(parsed)
}

fn parse_json(text: &str) -> Result<Parsed, FileError> {
    let value: Value =
        serde_json::from_str(text).map_err(|e| FileError::Malformed("JSON", e.to_string()))?;
    let items = match value {
        Value::Array(items) => items,
        Value::Object(mut o) => match o.remove("items") {
            Some(Value::Array(items)) => items,
            _ => {
                return Err(FileError::Malformed(
                    "JSON",
                    "expected an array of items, or an object with an `items` array".into(),
                ));
            }
        },
        _ => {
            return Err(FileError::Malformed(
                "JSON",
                "expected an array of items".into(),
            ));
        }
    };
    if items.len() > MAX_ROWS {
        return Err(FileError::TooManyRows);
    }
    let mut parsed = Parsed {
        format: Format::Json,
        rows_read: items.len(),
        rows: Vec::new(),
        problems: Vec::new(),
    };
    for (i, item) in items.into_iter().enumerate() {
        let line = i as u32 + 1;
        let Value::Object(map) = item else {
            push(
                &mut parsed.problems,
                line,
                "item",
                "must be an object".into(),
            );
            continue;
        };
        let fields: HashMap<&str, Value> = map
            .into_iter()
            .filter_map(|(k, v)| column_of(&k).map(|c| (c, v)))
            .filter(|(_, v)| !v.is_null())
            .collect();
        row(line, &fields, &mut parsed);
    }
    Ok(parsed)
}

fn push(problems: &mut Vec<Problem>, line: u32, field: &str, message: String) {
    problems.push(Problem {
        line,
        field: field.to_owned(),
        message,
    });
}

/// A text field: a string (or a number, for SKUs and GTINs), without control characters, capped.
fn text(v: &Value) -> Result<String, String> {
    let s = match v {
        Value::String(s) => s.trim().to_owned(),
        Value::Number(n) => n.to_string(),
        _ => return Err("must be text".into()),
    };
    if s.chars().any(char::is_control) {
        return Err("must not contain control characters".into());
    }
    if s.chars().count() > TEXT_MAX_CHARS {
        return Err(format!("must be at most {TEXT_MAX_CHARS} characters"));
    }
    Ok(s)
}

/// Checks one row's fields; a good row is kept, each bad field is a problem.
fn row(line: u32, f: &HashMap<&str, Value>, parsed: &mut Parsed) {
    let before = parsed.problems.len();
    let mut field = |name: &str| -> Option<String> {
        match f.get(name).map(text) {
            Some(Ok(s)) if !s.is_empty() => Some(s),
            Some(Err(e)) => {
                push(&mut parsed.problems, line, name, e);
                None
            }
            _ => None,
        }
    };
    let sku = field("sku");
    let gtin_text = field("gtin");
    let brand = field("brand");
    let name = field("name");
    let size_text = field("size");
    let price_text = f.get("price");
    let discount_text = f.get("discount_price");
    let stock = f.get("in_stock");

    let gtin = gtin_text.and_then(|g| match Gtin::parse(&g) {
        Ok(g) => Some(g),
        Err(e) => {
            push(&mut parsed.problems, line, "gtin", e.to_string());
            None
        }
    });
    if name.is_none() && f.get("name").is_none() {
        push(&mut parsed.problems, line, "name", "is required".into());
    }
    let price = match price_text {
        None => {
            push(&mut parsed.problems, line, "price", "is required".into());
            None
        }
        Some(v) => match money(v) {
            Ok(p) => Some(p),
            Err(e) => {
                push(&mut parsed.problems, line, "price", e);
                None
            }
        },
    };
    let discount_price = match discount_text.map(money) {
        None => None,
        Some(Ok(d)) if price.is_none_or(|p| d < p) => Some(d),
        Some(Ok(_)) => {
            push(
                &mut parsed.problems,
                line,
                "discount_price",
                "must be below the price".into(),
            );
            None
        }
        Some(Err(e)) => {
            push(&mut parsed.problems, line, "discount_price", e);
            None
        }
    };
    let in_stock = match stock.map(boolean) {
        None => true,
        Some(Ok(b)) => b,
        Some(Err(e)) => {
            push(&mut parsed.problems, line, "in_stock", e);
            true
        }
    };
    if parsed.problems.len() > before {
        return;
    }
    let (Some(name), Some(price)) = (name, price) else {
        return;
    };
    parsed.rows.push(FeedRow {
        line,
        size: size_text.as_deref().and_then(parse_size),
        size_text,
        sku,
        gtin,
        brand,
        name,
        price,
        discount_price,
        in_stock,
    });
}

/// A price in RSD: `4599`, `4599.00`, `4.599,00`, `4 599`, `4,599.00`, `4599 RSD`; positive, at most
/// two decimals, below [`MAX_PRICE`].
pub fn money(v: &Value) -> Result<Decimal, String> {
    let raw = match v {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        _ => return Err("must be a number".into()),
    };
    let lower = raw.to_lowercase();
    let mut s: String = lower
        .replace("rsd", "")
        .replace("дин", "")
        .replace("din", "")
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\'')
        .collect();
    s = s.trim_end_matches(['.', ',']).to_owned();
    if s.starts_with('-') {
        return Err("must not be negative".into());
    }
    if s.is_empty()
        || !s
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == ',')
    {
        return Err(format!(
            "is not a price: {:?}",
            raw.chars().take(40).collect::<String>()
        ));
    }
    let normalized = match (s.rfind('.'), s.rfind(',')) {
        // Both: the later one is the decimal separator.
        (Some(d), Some(c)) if d > c => s.replace(',', ""),
        (Some(_), Some(_)) => s.replace('.', "").replace(',', "."),
        // One kind: a thousands separator when every group after the first has three digits.
        (Some(_), None) | (None, Some(_)) => {
            let sep = if s.contains('.') { '.' } else { ',' };
            let groups: Vec<&str> = s.split(sep).collect();
            let thousands = groups.len() > 2 || groups.last().is_some_and(|g| g.len() == 3);
            if thousands
                && groups[1..].iter().all(|g| g.len() == 3)
                && (1..=3).contains(&groups[0].len())
            {
                groups.concat()
            } else if groups.len() == 2 {
                format!("{}.{}", groups[0], groups[1])
            } else {
                return Err(format!(
                    "is not a price: {:?}",
                    raw.chars().take(40).collect::<String>()
                ));
            }
        }
        (None, None) => s,
    };
    let price: Decimal = normalized.parse().map_err(|_| {
        format!(
            "is not a price: {:?}",
            raw.chars().take(40).collect::<String>()
        )
    })?;
    if price.scale() > 2 && price.round_dp(2) != price {
        return Err("must have at most two decimals".into());
    }
    if price <= Decimal::ZERO {
        return Err("must be above zero".into());
    }
    if price > MAX_PRICE {
        return Err(format!("must be at most {MAX_PRICE}"));
    }
    Ok(price.round_dp(2))
}

fn boolean(v: &Value) -> Result<bool, String> {
    match v {
        Value::Bool(b) => Ok(*b),
        Value::Number(n) if n.as_u64() == Some(0) => Ok(false),
        Value::Number(n) if n.as_u64() == Some(1) => Ok(true),
        Value::String(s) => match s.trim().to_lowercase().as_str() {
            "true" | "1" | "yes" | "da" | "y" | "in stock" | "ima" => Ok(true),
            "false" | "0" | "no" | "ne" | "n" | "out of stock" | "nema" => Ok(false),
            _ => Err("must be true or false (also 1/0, yes/no, da/ne)".into()),
        },
        _ => Err("must be true or false".into()),
    }
}

/// `908 g`, `2.27kg`, `2,27 kg`, `5 lb`, `500 ml`, `1 l`, `60 caps`, `120 kapsula`, `30 kom`.
pub fn parse_size(raw: &str) -> Option<Size> {
    let s = raw.trim().to_lowercase().replace(',', ".");
    let split = s.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
    let (number, unit) = s.split_at(split);
    let amount: Decimal = number.parse().ok()?;
    let unit = unit.trim().trim_end_matches('.');
    let (factor, unit) = match unit {
        "g" | "gr" | "gram" | "grams" | "grama" => (Decimal::ONE, SizeUnit::Gram),
        "kg" | "kilo" => (Decimal::from(1000), SizeUnit::Gram),
        "lb" | "lbs" => (Decimal::new(45_359_237, 5), SizeUnit::Gram),
        "oz" => (Decimal::new(28_349_523, 6), SizeUnit::Gram),
        "ml" => (Decimal::ONE, SizeUnit::Millilitre),
        "l" | "lit" => (Decimal::from(1000), SizeUnit::Millilitre),
        "caps" | "cap" | "capsules" | "kaps" | "kapsule" | "kapsula" | "tabs" | "tab"
        | "tablets" | "tablete" | "tableta" | "softgels" | "softgel" | "kom" | "komada" | "pcs"
        | "pieces" | "unit" | "units" | "x" => (Decimal::ONE, SizeUnit::Unit),
        _ => return None,
    };
    let amount = amount.checked_mul(factor)?;
    (amount > Decimal::ZERO).then_some(Size { amount, unit })
}

/// Lower-case ASCII words: scripts transliterated, diacritics and punctuation dropped.
pub fn normalize(s: &str) -> String {
    let ascii = deunicode::deunicode(s).to_lowercase();
    ascii
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The words of a name in a fixed order, so word order does not matter.
fn token_key(s: &str) -> String {
    let mut words: Vec<String> = normalize(s).split(' ').map(str::to_owned).collect();
    words.sort();
    words.dedup();
    words.join(" ")
}

/// The character pairs of a text without its spaces, sorted: what the Sørensen–Dice coefficient
/// compares. Built once per catalogue name (strsim would rebuild both sides on every comparison,
/// which dominates a 10 000-row import).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Bigrams {
    text: String,
    pairs: Vec<(char, char)>,
}

impl Bigrams {
    fn new(s: &str) -> Self {
        let text: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        let chars: Vec<char> = text.chars().collect();
        let mut pairs: Vec<(char, char)> = chars.windows(2).map(|w| (w[0], w[1])).collect();
        pairs.sort_unstable();
        Self { text, pairs }
    }

    /// Sørensen–Dice: twice the shared pairs over all pairs (as `strsim::sorensen_dice`).
    fn dice(&self, other: &Self) -> f64 {
        if self.text == other.text {
            return 1.0;
        }
        let (a, b) = (&self.pairs, &other.pairs);
        if a.is_empty() || b.is_empty() {
            return 0.0;
        }
        let (mut i, mut j, mut shared) = (0, 0, 0);
        while i < a.len() && j < b.len() {
            match a[i].cmp(&b[j]) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    shared += 1;
                    i += 1;
                    j += 1;
                }
            }
        }
        2.0 * shared as f64 / (a.len() + b.len()) as f64
    }
}

/// A package a row may be.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub package_id: Uuid,
    pub gtin: Option<String>,
    pub brand: String,
    /// The product's names in every language.
    pub names: Vec<String>,
    pub size: Size,
}

/// A candidate prepared for matching: its brand's index and its names' pairs.
#[derive(Debug)]
struct Prepared {
    package_id: Uuid,
    brand: usize,
    names: Vec<Bigrams>,
    size: Size,
}

/// What rows are matched against: the packages, and the store's own SKUs.
#[derive(Debug, Default)]
pub struct Catalogue {
    by_gtin: HashMap<String, Uuid>,
    by_sku: HashMap<String, Uuid>,
    /// Normalized brand names; candidates point into it.
    brands: Vec<String>,
    candidates: Vec<Prepared>,
}

impl Catalogue {
    pub fn new(candidates: Vec<Candidate>, skus: HashMap<String, Uuid>) -> Self {
        let by_gtin = candidates
            .iter()
            .filter_map(|c| c.gtin.clone().map(|g| (g, c.package_id)))
            .collect();
        let mut brands: Vec<String> = Vec::new();
        let mut brand_index: HashMap<String, usize> = HashMap::new();
        let candidates = candidates
            .into_iter()
            .map(|c| {
                let normalized = normalize(&c.brand);
                let brand = *brand_index.entry(normalized.clone()).or_insert_with(|| {
                    brands.push(normalized);
                    brands.len() - 1
                });
                let names = c
                    .names
                    .iter()
                    .map(|n| Bigrams::new(&token_key(&format!("{} {n}", c.brand))))
                    .collect();
                Prepared {
                    package_id: c.package_id,
                    brand,
                    names,
                    size: c.size,
                }
            })
            .collect();
        Self {
            by_gtin,
            by_sku: skus,
            brands,
            candidates,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Match {
    Gtin(Uuid),
    Sku(Uuid),
    /// Brand, name and size agree with `confidence` (0–1).
    Fuzzy {
        package: Uuid,
        confidence: f64,
    },
    /// Nothing good enough; the best guess, if any, for the reviewer.
    Unmatched {
        best: Option<(Uuid, f64)>,
    },
}

/// Matches a row: GTIN first, then the store's SKU, then by similarity of brand, name and size,
/// accepted from `threshold`.
pub fn match_row(catalogue: &Catalogue, row: &FeedRow, threshold: f64) -> Match {
    if let Some(p) = row
        .gtin
        .as_ref()
        .and_then(|g| catalogue.by_gtin.get(g.as_str()))
    {
        return Match::Gtin(*p);
    }
    if let Some(p) = row.sku.as_ref().and_then(|s| catalogue.by_sku.get(s)) {
        return Match::Sku(*p);
    }
    let key_text = token_key(&format!(
        "{} {}",
        row.brand.as_deref().unwrap_or(""),
        row.name
    ));
    let key = Bigrams::new(&key_text);
    // Each brand is scored once per row, not once per package.
    let brand_scores: Vec<f64> = match row.brand.as_deref().map(normalize) {
        Some(b) => catalogue
            .brands
            .iter()
            .map(|c| strsim::jaro_winkler(&b, c))
            .collect(),
        // No brand column: the brand's words must be in the name.
        None => catalogue
            .brands
            .iter()
            .map(|c| {
                if key_text.contains(c.as_str()) {
                    1.0
                } else {
                    0.5
                }
            })
            .collect(),
    };
    let mut best: Option<(Uuid, f64)> = None;
    for c in &catalogue.candidates {
        let size = match row.size {
            Some(s) if s.unit == c.size.unit => {
                let diff = (s.amount - c.size.amount).abs();
                // Within 2 %: 5 lb is 2268 g, labelled 2270 g.
                if diff * Decimal::from(50) <= c.size.amount {
                    1.0
                } else {
                    0.4
                }
            }
            Some(_) => 0.4,
            None => 0.8,
        };
        let brand = 0.25 * brand_scores[c.brand];
        // Even a perfect name could not beat the best so far: skip the comparison.
        if best.is_some_and(|(_, b)| (brand + 0.75) * size <= b) {
            continue;
        }
        let name = c.names.iter().map(|n| key.dice(n)).fold(0.0, f64::max);
        let confidence = (brand + 0.75 * name) * size;
        if best.is_none_or(|(_, b)| confidence > b) {
            best = Some((c.package_id, confidence));
        }
    }
    match best {
        Some((package, confidence)) if confidence >= threshold => Match::Fuzzy {
            package,
            confidence,
        },
        best => Match::Unmatched { best },
    }
}

/// A new price at least [`PRICE_JUMP_FACTOR`] times the last one, or as small by the same factor.
pub fn is_price_jump(last: Decimal, new: Decimal) -> bool {
    new >= last * PRICE_JUMP_FACTOR || new * PRICE_JUMP_FACTOR <= last
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use rust_decimal::dec;
    use serde_json::json;

    use super::*;

    #[test]
    fn quoted_values_leave_a_fetched_feed_s_report() {
        assert_eq!(
            without_quoted(r#"is not a price: "12,5a""#),
            r#"is not a price: "…""#
        );
        let missing = FileError::MissingColumn("price", r#""ime", "c\"ena""#.into()).to_string();
        assert_eq!(
            without_quoted(&missing),
            r#"the file has no price column (columns found: "…", "…")"#
        );
        assert_eq!(without_quoted("must be above zero"), "must be above zero");
    }

    #[test]
    fn prices_in_local_and_international_notation() {
        for (raw, want) in [
            (json!("4599"), dec!(4599)),
            (json!("4599.00"), dec!(4599)),
            (json!("4.599,00"), dec!(4599)),
            (json!("4 599,50"), dec!(4599.50)),
            (json!("4,599.00"), dec!(4599)),
            (json!("4.599"), dec!(4599)),
            (json!("1.234.567"), dec!(1234567)),
            (json!("4599,9"), dec!(4599.9)),
            (json!("4599 RSD"), dec!(4599)),
            (json!("4.599 дин."), dec!(4599)),
            (json!(4599.5), dec!(4599.5)),
            (json!(12), dec!(12)),
        ] {
            assert_eq!(money(&raw), Ok(want), "{raw}");
        }
        for bad in [
            json!("-10"),
            json!(-3),
            json!("0"),
            json!("abc"),
            json!(""),
            json!("1.2.3,4,5"),
            json!("12.345,6.7"),
            json!("4599.999"),
            json!(true),
            json!("99999999"),
        ] {
            assert!(money(&bad).is_err(), "{bad} was accepted");
        }
    }

    #[test]
    fn sizes_to_base_units() {
        let g = |a: Decimal| {
            Some(Size {
                amount: a,
                unit: SizeUnit::Gram,
            })
        };
        assert_eq!(parse_size("908 g"), g(dec!(908)));
        assert_eq!(parse_size("2,27kg"), g(dec!(2270)));
        assert_eq!(parse_size("5 lbs"), g(dec!(2267.96185)));
        assert_eq!(
            parse_size("120 kapsula"),
            Some(Size {
                amount: dec!(120),
                unit: SizeUnit::Unit
            })
        );
        assert_eq!(
            parse_size("1 l"),
            Some(Size {
                amount: dec!(1000),
                unit: SizeUnit::Millilitre
            })
        );
        for bad in ["", "g", "big", "0 g", "12 parsecs"] {
            assert_eq!(parse_size(bad), None, "{bad}");
        }
    }

    #[test]
    fn csv_with_semicolons_aliases_and_problems_by_line() {
        let feed = "\u{feff}Šifra;EAN;Brend;Naziv;Pakovanje;Cena;Akcijska_cena;Na_stanju\n\
                    A1;2000000000015;Optimum Nutrition;Gold Standard 100% Whey;908 g;5.999,00;;da\n\
                    \n\
                    A2;;BioTech USA;Iso Whey Zero;2,27 kg;-12;;da\n\
                    A3;2000000000016;Scitec;Jumbo;4,4 kg;7990;;ne\n\
                    A4;;Scitec;Jumbo;4,4 kg;7990;8990;maybe\n";
        let p = parse(feed.as_bytes()).unwrap();
        assert_eq!(p.format, Format::Csv);
        assert_eq!(p.rows_read, 4);
        assert_eq!(p.rows.len(), 1);
        let r = &p.rows[0];
        assert_eq!((r.line, r.price, r.in_stock), (2, dec!(5999), true));
        assert_eq!(r.gtin.as_ref().unwrap().as_str(), "2000000000015");
        let problems: Vec<(u32, &str)> = p
            .problems
            .iter()
            .map(|p| (p.line, p.field.as_str()))
            .collect();
        assert_eq!(
            problems,
            [
                (4, "price"),
                (5, "gtin"),
                (6, "discount_price"),
                (6, "in_stock")
            ]
        );
    }

    #[test]
    fn whole_file_refusals() {
        assert_eq!(parse(b""), Err(FileError::Empty));
        assert_eq!(
            parse(b"name,price\n\xff\xfe,1\n"),
            Err(FileError::Encoding(11))
        );
        assert!(matches!(
            parse(b"naziv;kolicina\nx;1\n"),
            Err(FileError::MissingColumn("price", _))
        ));
        assert!(matches!(
            parse(b"{\"items\": 3}"),
            Err(FileError::Malformed("JSON", _))
        ));
        assert!(matches!(
            parse(b"[{\"name\": \"x\", "),
            Err(FileError::Malformed("JSON", _))
        ));
    }

    #[test]
    fn json_items_by_position() {
        let feed = json!({ "store": "muscle-shop", "items": [
            { "sku": 1001, "name": "Micronized Creatine", "size": "300 g", "price": 2490, "in_stock": true },
            { "name": "Bez cene" },
            "not an object",
            { "name": "Kreatin\u{0007}", "price": "1.990,00" },
        ]});
        let p = parse(feed.to_string().as_bytes()).unwrap();
        assert_eq!(p.format, Format::Json);
        assert_eq!(p.rows.len(), 1);
        assert_eq!(p.rows[0].sku.as_deref(), Some("1001"));
        let problems: Vec<(u32, &str)> = p
            .problems
            .iter()
            .map(|p| (p.line, p.field.as_str()))
            .collect();
        assert_eq!(problems, [(2, "price"), (3, "item"), (4, "name")]);
    }

    fn catalogue() -> (Catalogue, Uuid, Uuid) {
        let whey = Uuid::now_v7();
        let whey_big = Uuid::now_v7();
        let c = Catalogue::new(
            vec![
                Candidate {
                    package_id: whey,
                    gtin: Some("2000000000015".into()),
                    brand: "Optimum Nutrition".into(),
                    names: vec![
                        "Gold Standard 100% Whey".into(),
                        "Протеин од сурутке Gold Standard".into(),
                    ],
                    size: Size {
                        amount: dec!(908),
                        unit: SizeUnit::Gram,
                    },
                },
                Candidate {
                    package_id: whey_big,
                    gtin: None,
                    brand: "Optimum Nutrition".into(),
                    names: vec!["Gold Standard 100% Whey".into()],
                    size: Size {
                        amount: dec!(2270),
                        unit: SizeUnit::Gram,
                    },
                },
            ],
            HashMap::from([("ON-5LB".to_string(), whey_big)]),
        );
        (c, whey, whey_big)
    }

    fn fed(
        sku: Option<&str>,
        gtin: Option<&str>,
        brand: Option<&str>,
        name: &str,
        size: &str,
    ) -> FeedRow {
        FeedRow {
            line: 2,
            sku: sku.map(Into::into),
            gtin: gtin.map(|g| Gtin::parse(g).unwrap()),
            brand: brand.map(Into::into),
            name: name.into(),
            size_text: Some(size.into()),
            size: parse_size(size),
            price: dec!(5000),
            discount_price: None,
            in_stock: true,
        }
    }

    #[test]
    fn matching_order_gtin_sku_fuzzy() {
        let (c, whey, big) = catalogue();
        assert_eq!(
            match_row(
                &c,
                &fed(Some("x"), Some("2000000000015"), None, "?", "1 g"),
                0.85
            ),
            Match::Gtin(whey)
        );
        assert_eq!(
            match_row(&c, &fed(Some("ON-5LB"), None, None, "?", ""), 0.85),
            Match::Sku(big)
        );
        // Word order, case, punctuation and the size's unit do not matter; the size does.
        match match_row(
            &c,
            &fed(
                None,
                None,
                Some("OPTIMUM NUTRITION"),
                "Whey Gold Standard 100 %",
                "5 lb",
            ),
            0.85,
        ) {
            Match::Fuzzy {
                package,
                confidence,
            } => {
                assert_eq!(package, big);
                assert!(confidence > 0.9, "{confidence}");
            }
            other => panic!("{other:?}"),
        }
        // Right name, a size the catalogue does not have: a guess for the reviewer, not a match.
        match match_row(
            &c,
            &fed(
                None,
                None,
                Some("Optimum Nutrition"),
                "Gold Standard 100% Whey",
                "4.5 kg",
            ),
            0.85,
        ) {
            Match::Unmatched {
                best: Some((_, confidence)),
            } => assert!(confidence < 0.85),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            match_row(
                &c,
                &fed(None, None, Some("Scitec"), "Jumbo Hardcore", "1530 g"),
                0.85
            ),
            Match::Unmatched { .. }
        ));
    }

    #[test]
    fn dice_agrees_with_strsim() {
        for (a, b) in [
            ("100 gold whey", "gold standard whey"),
            ("ab", "ab"),
            ("a", "b"),
            ("", ""),
            ("kreatin", "creatine"),
            ("aaaa", "aa"),
        ] {
            let ours = Bigrams::new(a).dice(&Bigrams::new(b));
            assert!(
                (ours - strsim::sorensen_dice(a, b)).abs() < 1e-12,
                "{a:?} {b:?}: {ours}"
            );
        }
    }

    #[test]
    fn price_jumps() {
        assert!(is_price_jump(dec!(500), dec!(5000)));
        assert!(is_price_jump(dec!(5000), dec!(500)));
        assert!(!is_price_jump(dec!(5000), dec!(5999)));
        assert!(!is_price_jump(dec!(5000), dec!(501)));
    }

    proptest! {
        /// The parser reads files from outside: whatever the bytes, it answers without panicking, and
        /// every row it keeps is a valid price.
        #[test]
        fn parse_never_panics_on_bytes(bytes in prop::collection::vec(any::<u8>(), 0..2000)) {
            if let Ok(p) = parse(&bytes) {
                for r in p.rows {
                    prop_assert!(r.price > Decimal::ZERO && r.price <= MAX_PRICE);
                }
            }
        }

        #[test]
        fn parse_never_panics_on_csv_like_text(
            cells in prop::collection::vec(prop::collection::vec("[-0-9a-zA-Z.,;\"' šđčćžЂ\t€\\\\]{0,12}", 0..8), 0..30),
            delimiter in prop::sample::select(vec![",", ";", "\t"]),
        ) {
            let mut text = ["sku", "gtin", "brand", "name", "size", "price", "discount_price", "in_stock"].join(delimiter);
            for row in cells {
                text.push('\n');
                text.push_str(&row.join(delimiter));
            }
            if let Ok(p) = parse(text.as_bytes()) {
                prop_assert!(p.rows.len() + p.problems.len() >= p.rows.len());
                for r in &p.rows {
                    prop_assert!(r.price > Decimal::ZERO);
                    prop_assert!(r.discount_price.is_none_or(|d| d < r.price));
                }
            }
        }

        #[test]
        fn money_never_panics(s in "\\PC{0,30}") {
            let _ = money(&Value::String(s));
        }
    }
}
