//! Normalisers: each turns one raw field value into the canonical text that
//! comparators, blocking and term frequencies work on. They run once per
//! record (never per pair) and return `None` when nothing comparable is
//! left (an empty cell, a phone with no digits, …).
//!
//! All text normalisers start from [`fold`]: Unicode compatibility
//! decomposition (NFKD) with combining marks stripped, so `ș` (comma below),
//! `ş` (legacy cedilla), `ă`, `â`, `î`, `é` all fold to their base letter;
//! letters that do not decompose (`ß`, `ł`, `ø`, `æ`, …) are spelled out;
//! case is folded; apostrophes join (`O'Brien` = `OBrien`) and every other
//! non-alphanumeric character separates tokens.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Folds `raw` into lower-case, mark-free tokens separated by single
/// spaces, appending to `out` (which is cleared first).
pub(crate) fn fold(raw: &str, out: &mut String) {
    out.clear();
    let mut gap = false;
    for c in raw.chars() {
        if c.is_ascii() {
            push_folded(c, out, &mut gap);
        } else if let Some(s) = spelled_out(c) {
            for d in s.chars() {
                push_folded(d, out, &mut gap);
            }
        } else {
            for d in std::iter::once(c).nfkd() {
                if is_combining_mark(d) {
                    continue;
                }
                if d.is_ascii() {
                    push_folded(d, out, &mut gap);
                } else if let Some(s) = spelled_out(d) {
                    for e in s.chars() {
                        push_folded(e, out, &mut gap);
                    }
                } else if d.is_alphanumeric() {
                    for l in d.to_lowercase() {
                        push_char(l, out, &mut gap);
                    }
                } else if !is_apostrophe(d) {
                    gap = true;
                }
            }
        }
    }
}

/// [`fold`] into a new string.
pub(crate) fn folded(raw: &str) -> String {
    let mut s = String::with_capacity(raw.len());
    fold(raw, &mut s);
    s
}

fn push_char(c: char, out: &mut String, gap: &mut bool) {
    if *gap && !out.is_empty() {
        out.push(' ');
    }
    *gap = false;
    out.push(c);
}

fn push_folded(c: char, out: &mut String, gap: &mut bool) {
    if c.is_ascii_alphanumeric() {
        push_char(c.to_ascii_lowercase(), out, gap);
    } else if !is_apostrophe(c) {
        *gap = true;
    }
}

fn is_apostrophe(c: char) -> bool {
    matches!(
        c,
        '\'' | '`' | '\u{2019}' | '\u{2018}' | '\u{02BC}' | '\u{00B4}'
    )
}

/// Letters that NFKD leaves alone but that people type without the mark.
fn spelled_out(c: char) -> Option<&'static str> {
    Some(match c {
        'ß' | 'ẞ' => "ss",
        'æ' | 'Æ' => "ae",
        'œ' | 'Œ' => "oe",
        'ø' | 'Ø' => "o",
        'ł' | 'Ł' => "l",
        'đ' | 'Đ' | 'ð' | 'Ð' => "d",
        'þ' | 'Þ' => "th",
        'ı' => "i",
        'ħ' | 'Ħ' => "h",
        _ => return None,
    })
}

/// Courtesy titles and honorifics dropped from person names.
const TITLES: &[&str] = &[
    "mr", "mrs", "ms", "miss", "mx", "dr", "prof", "ing", "dl", "dna", "domnul", "doamna", "herr",
    "frau", "sir", "madam", "mme", "mlle", "sr", "sra", "jr", "phd", "msc", "ec", "av",
];

/// A person's full name: folded tokens, titles dropped, sorted so that
/// token order does not matter (`Popescu Ion` = `Ion Popescu`). Initials
/// stay as one-letter tokens.
pub(crate) fn person_name(raw: &str) -> Option<String> {
    let f = folded(raw);
    let mut tokens: Vec<&str> = f.split(' ').filter(|t| !t.is_empty()).collect();
    if tokens.len() > 1 {
        let kept: Vec<&str> = tokens
            .iter()
            .copied()
            .filter(|t| !TITLES.contains(t))
            .collect();
        if !kept.is_empty() {
            tokens = kept;
        }
    }
    tokens.sort_unstable();
    non_empty(tokens.join(" "))
}

/// A single name part (given name or surname): folded, titles dropped,
/// token order kept.
pub(crate) fn name_part(raw: &str) -> Option<String> {
    let f = folded(raw);
    let tokens: Vec<&str> = f.split(' ').filter(|t| !t.is_empty()).collect();
    let kept: Vec<&str> = tokens
        .iter()
        .copied()
        .filter(|t| !TITLES.contains(t))
        .collect();
    non_empty(if kept.is_empty() { tokens } else { kept }.join(" "))
}

/// Legal-form words (after folding and joining of dotted letters) that do
/// not name a company: Romanian, English, German, French, Dutch, Nordic,
/// Southern and Eastern European forms.
const LEGAL_FORMS: &[&str] = &[
    "srl",
    "srld",
    "sa",
    "sc",
    "pfa",
    "ii",
    "if",
    "snc",
    "scs",
    "sca",
    "ra",
    "ong",
    "inc",
    "incorporated",
    "llc",
    "llp",
    "lp",
    "ltd",
    "limited",
    "plc",
    "corp",
    "corporation",
    "co",
    "company",
    "gmbh",
    "mbh",
    "ag",
    "kg",
    "ohg",
    "ug",
    "kgaa",
    "ev",
    "sarl",
    "sas",
    "sasu",
    "eurl",
    "bv",
    "nv",
    "vof",
    "oy",
    "oyj",
    "ab",
    "as",
    "asa",
    "aps",
    "spa",
    "srls",
    "sl",
    "slu",
    "sp",
    "zoo",
    "kft",
    "zrt",
    "nyrt",
    "doo",
    "ad",
    "ood",
    "eood",
    "sro",
    "pty",
    "pte",
    "pvt",
    "ltda",
    "group",
    "holding",
    "holdings",
];

/// A company name: folded, runs of single letters joined (`S.R.L.` →
/// `srl`), legal-form words dropped from both ends (`SC Alfa SRL` = `Alfa
/// S.R.L.` = `alfa`), `&`/`and`/`si` connectors dropped.
pub(crate) fn company(raw: &str) -> Option<String> {
    let f = folded(raw);
    let mut tokens: Vec<String> = f
        .split(' ')
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect();
    join_letter_runs(&mut tokens);
    let all = tokens.clone();
    // Dropping a connector between one-letter tokens (`B si Q`) makes them
    // neighbours, which the next normalisation would join (`bq`): repeat
    // until no neighbours are left, so that the result is a fixed point.
    // Each repeat joins at least two tokens, so this ends.
    loop {
        strip_company_noise(&mut tokens);
        if !has_letter_neighbours(&tokens) {
            break;
        }
        join_letter_runs(&mut tokens);
    }
    if tokens.is_empty() {
        // A name made only of legal words ("Company SA") keeps its words.
        return non_empty(all.join(" "));
    }
    non_empty(tokens.join(" "))
}

fn is_single_letter(t: &str) -> bool {
    t.chars().count() == 1
}

fn has_letter_neighbours(tokens: &[String]) -> bool {
    tokens
        .windows(2)
        .any(|w| w.iter().all(|t| is_single_letter(t)))
}

/// Joins runs of one-letter tokens: "s r l" -> "srl", "s c" -> "sc".
fn join_letter_runs(tokens: &mut Vec<String>) {
    let mut joined: Vec<String> = Vec::with_capacity(tokens.len());
    let mut in_run = false;
    for t in tokens.drain(..) {
        let single = is_single_letter(&t);
        match joined.last_mut() {
            Some(last) if single && in_run => last.push_str(&t),
            _ => joined.push(t),
        }
        in_run = single;
    }
    *tokens = joined;
}

/// Connectors between the words of a company name.
fn is_connector(t: &str) -> bool {
    matches!(t, "and" | "si" | "und" | "et")
}

/// Drops legal forms, connectors and `the` from both ends and connectors
/// inside ("Alfa & Beta" vs "Alfa si Beta").
fn strip_company_noise(tokens: &mut Vec<String>) {
    let is_noise = |t: &str| LEGAL_FORMS.contains(&t) || is_connector(t) || t == "the";
    while tokens.last().is_some_and(|t| is_noise(t)) {
        tokens.pop();
    }
    let lead = tokens.iter().take_while(|t| is_noise(t)).count();
    tokens.drain(..lead);
    tokens.retain(|t| !is_connector(t));
}

/// Local parts of shared role mailboxes; an address with one of these says
/// little about which person is meant.
const GENERIC_LOCAL_PARTS: &[&str] = &[
    "info",
    "office",
    "contact",
    "contact-us",
    "contactus",
    "sales",
    "vanzari",
    "hello",
    "hi",
    "admin",
    "administrator",
    "support",
    "help",
    "secretariat",
    "receptie",
    "reception",
    "mail",
    "email",
    "post",
    "postmaster",
    "webmaster",
    "noreply",
    "no-reply",
    "team",
    "marketing",
    "hr",
    "jobs",
    "careers",
    "billing",
    "accounting",
    "contabilitate",
    "comenzi",
    "orders",
    "service",
    "enquiries",
    "inquiries",
    "general",
    "kontakt",
    "buero",
    "bureau",
];

/// Whether a normalised e-mail address is a role mailbox (`info@`,
/// `office@`, …).
pub(crate) fn is_generic_email(normalized: &str) -> bool {
    normalized
        .split_once('@')
        .is_some_and(|(local, _)| GENERIC_LOCAL_PARTS.contains(&local))
}

/// Public mailbox providers: two addresses there share nothing but the
/// provider.
const FREE_MAIL_DOMAINS: &[&str] = &[
    "gmail.com",
    "googlemail.com",
    "yahoo.com",
    "yahoo.ro",
    "yahoo.co.uk",
    "yahoo.de",
    "yahoo.fr",
    "ymail.com",
    "outlook.com",
    "hotmail.com",
    "hotmail.ro",
    "live.com",
    "msn.com",
    "icloud.com",
    "me.com",
    "aol.com",
    "gmx.de",
    "gmx.net",
    "gmx.at",
    "web.de",
    "t-online.de",
    "mail.ru",
    "yandex.ru",
    "yandex.com",
    "protonmail.com",
    "proton.me",
    "libero.it",
    "orange.fr",
    "free.fr",
    "freemail.hu",
    "seznam.cz",
    "wp.pl",
    "o2.pl",
    "abv.bg",
    "mail.com",
    "zoho.com",
];

/// Whether a domain is a public mailbox provider.
pub(crate) fn is_free_mail_domain(domain: &str) -> bool {
    FREE_MAIL_DOMAINS.contains(&domain)
}

/// An e-mail address: trimmed, `mailto:` and angle brackets removed, lower
/// case, `+tag` dropped from the local part, dots ignored in Gmail local
/// parts. A value without `@` is kept as folded text.
pub(crate) fn email(raw: &str) -> Option<String> {
    let lower: String = raw
        .chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect();
    let lower = strip_address_wrapping(&lower);
    let Some((local, domain)) = lower.rsplit_once('@') else {
        return non_empty(folded(raw));
    };
    let local = local.split('+').next().unwrap_or(local);
    let (local, domain) = if domain == "gmail.com" || domain == "googlemail.com" {
        (local.replace('.', ""), "gmail.com")
    } else {
        (local.to_owned(), domain)
    };
    if local.is_empty() || domain.is_empty() {
        return non_empty(folded(raw));
    }
    Some(format!("{local}@{domain}"))
}

/// Removes `mailto:` (any case), angle brackets and the domain's final
/// dots, in whatever order they wrap the address (`mailto:<a@b.ro>.`,
/// `<MAILTO:a@b.ro>`), until none is left: the result is a fixed point.
fn strip_address_wrapping(s: &str) -> &str {
    let mut t = s;
    loop {
        let before = t.len();
        t = t.trim_matches(['<', '>']);
        t = t.trim_end_matches('.');
        if t.get(..7)
            .is_some_and(|p| p.eq_ignore_ascii_case("mailto:"))
        {
            t = t.get(7..).unwrap_or("");
        }
        if t.len() == before {
            return t;
        }
    }
}

/// Calling code and whether national numbers start with a trunk `0` that
/// the international form drops, per ISO 3166 alpha-2 country.
fn calling_code(country: &str) -> Option<(&'static str, bool)> {
    let c = country.trim();
    let c = if c.len() == 2 {
        c
    } else {
        country_code_of_name(c)?
    };
    let mut up = [0u8; 2];
    let bytes = c.as_bytes();
    if bytes.len() != 2 {
        return None;
    }
    for (slot, b) in up.iter_mut().zip(bytes) {
        *slot = b.to_ascii_uppercase();
    }
    Some(match &up {
        b"RO" => ("40", true),
        b"MD" => ("373", true),
        b"BG" => ("359", true),
        b"HU" => ("36", false),
        b"RS" => ("381", true),
        b"UA" => ("380", true),
        b"PL" => ("48", false),
        b"CZ" => ("420", false),
        b"SK" => ("421", true),
        b"DE" => ("49", true),
        b"AT" => ("43", true),
        b"CH" => ("41", true),
        b"FR" => ("33", true),
        b"BE" => ("32", true),
        b"NL" => ("31", true),
        b"LU" => ("352", false),
        b"GB" | b"UK" => ("44", true),
        b"IE" => ("353", true),
        b"IT" => ("39", false),
        b"ES" => ("34", false),
        b"PT" => ("351", false),
        b"GR" => ("30", false),
        b"CY" => ("357", false),
        b"MT" => ("356", false),
        b"SI" => ("386", true),
        b"HR" => ("385", true),
        b"BA" => ("387", true),
        b"ME" => ("382", true),
        b"MK" => ("389", true),
        b"AL" => ("355", true),
        b"TR" => ("90", true),
        b"DK" => ("45", false),
        b"NO" => ("47", false),
        b"SE" => ("46", true),
        b"FI" => ("358", true),
        b"EE" => ("372", false),
        b"LV" => ("371", false),
        b"LT" => ("370", true),
        b"IS" => ("354", false),
        b"RU" => ("7", true),
        b"BY" => ("375", true),
        b"US" | b"CA" => ("1", false),
        b"MX" => ("52", false),
        b"BR" => ("55", true),
        b"AR" => ("54", true),
        b"CL" => ("56", false),
        b"CO" => ("57", false),
        b"AU" => ("61", true),
        b"NZ" => ("64", true),
        b"JP" => ("81", true),
        b"CN" => ("86", true),
        b"KR" => ("82", true),
        b"IN" => ("91", true),
        b"SG" => ("65", false),
        b"HK" => ("852", false),
        b"IL" => ("972", true),
        b"AE" => ("971", true),
        b"SA" => ("966", true),
        b"EG" => ("20", true),
        b"ZA" => ("27", true),
        b"NG" => ("234", true),
        b"KE" => ("254", true),
        b"MA" => ("212", true),
        _ => return None,
    })
}

/// The ISO alpha-2 code of a country written out (English or native
/// name, alpha-3 code), for data that does not follow SPEC §2's codes.
fn country_code_of_name(name: &str) -> Option<&'static str> {
    Some(match folded(name).as_str() {
        "romania" | "rou" => "RO",
        "moldova" | "republica moldova" | "republic of moldova" | "mda" => "MD",
        "bulgaria" | "bgr" => "BG",
        "hungary" | "magyarorszag" | "ungaria" | "hun" => "HU",
        "germany" | "deutschland" | "germania" | "deu" => "DE",
        "austria" | "osterreich" | "aut" => "AT",
        "switzerland" | "schweiz" | "elvetia" | "che" => "CH",
        "france" | "franta" | "fra" => "FR",
        "italy" | "italia" | "ita" => "IT",
        "spain" | "espana" | "spania" | "esp" => "ES",
        "poland" | "polska" | "polonia" | "pol" => "PL",
        "netherlands" | "nederland" | "olanda" | "nld" => "NL",
        "belgium" | "belgique" | "belgia" | "bel" => "BE",
        "united kingdom" | "uk" | "great britain" | "england" | "marea britanie" | "gbr" => "GB",
        "ireland" | "irl" => "IE",
        "united states" | "usa" | "us" | "united states of america" | "sua" => "US",
        "canada" | "can" => "CA",
        "serbia" | "srb" => "RS",
        "ukraine" | "ucraina" | "ukr" => "UA",
        "czech republic" | "czechia" | "cehia" | "cze" => "CZ",
        "slovakia" | "slovacia" | "svk" => "SK",
        "greece" | "grecia" | "grc" => "GR",
        "turkey" | "turkiye" | "turcia" | "tur" => "TR",
        "sweden" | "suedia" | "swe" => "SE",
        "denmark" | "danemarca" | "dnk" => "DK",
        "norway" | "norvegia" | "nor" => "NO",
        "finland" | "finlanda" | "fin" => "FI",
        "portugal" | "portugalia" | "prt" => "PT",
        _ => return None,
    })
}

/// A phone number in international digits without `+` (E.164 style), given
/// the record's country or a default (`+40 721 234 567` =
/// `0040721234567` = `0721-234-567` with country `RO`). Without a known
/// country a national number keeps its digits as typed. Text after the
/// number (`ext. 12`, `int 3`) is dropped; fewer than 5 digits is no phone.
pub(crate) fn phone(raw: &str, country: Option<&str>) -> Option<String> {
    let t = raw.trim();
    let plus = t.starts_with('+');
    let mut digits = String::with_capacity(t.len());
    for c in t.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
        } else if c.is_alphabetic() && digits.len() >= 6 {
            // An extension or a note follows the number.
            break;
        }
    }
    if digits.len() < 5 {
        return None;
    }
    let code = country.and_then(calling_code);
    let international = if plus {
        digits
    } else if let Some(rest) = digits.strip_prefix("00") {
        rest.to_owned()
    } else if let (Some((cc, _)), Some(rest)) = (code, digits.strip_prefix("011")) {
        if cc == "1" {
            rest.to_owned()
        } else {
            format!("{cc}{digits}")
        }
    } else if let Some((cc, trunk)) = code {
        if trunk && digits.starts_with('0') {
            format!("{cc}{}", digits.get(1..).unwrap_or(""))
        } else if digits.starts_with(cc) && digits.len() >= cc.len() + 8 {
            // Typed with the country code but without `+`/`00`.
            digits
        } else {
            format!("{cc}{digits}")
        }
    } else {
        digits
    };
    // Counted again after the `00`/`011` prefixes are gone: `00` + 3
    // digits is no phone either.
    (international.len() >= 5).then_some(international)
}

/// City names known under several spellings, folded, mapped to one form.
const CITY_ALIASES: &[(&str, &str)] = &[
    ("bucharest", "bucuresti"),
    ("bukarest", "bucuresti"),
    ("bucarest", "bucuresti"),
    ("buc", "bucuresti"),
    ("b", "bucuresti"),
    ("cluj", "cluj napoca"),
    ("clujnapoca", "cluj napoca"),
    ("jassy", "iasi"),
    ("temesvar", "timisoara"),
    ("kolozsvar", "cluj napoca"),
    ("hermannstadt", "sibiu"),
    ("kronstadt", "brasov"),
    ("nagyvarad", "oradea"),
    ("munich", "munchen"),
    ("muenchen", "munchen"),
    ("cologne", "koln"),
    ("koeln", "koln"),
    ("vienna", "wien"),
    ("prague", "praha"),
    ("warsaw", "warszawa"),
    ("rome", "roma"),
    ("milan", "milano"),
    ("lisbon", "lisboa"),
    ("brussels", "bruxelles"),
    ("brussel", "bruxelles"),
    ("the hague", "den haag"),
    ("s gravenhage", "den haag"),
    ("copenhagen", "kobenhavn"),
    ("athens", "athina"),
    ("belgrade", "beograd"),
    ("moscow", "moskva"),
    ("kiev", "kyiv"),
    ("geneva", "geneve"),
    ("genf", "geneve"),
    ("florence", "firenze"),
    ("venice", "venezia"),
    ("naples", "napoli"),
    ("turin", "torino"),
    ("nuremberg", "nurnberg"),
    ("nuernberg", "nurnberg"),
    ("gothenburg", "goteborg"),
    ("nyc", "new york"),
    ("new york city", "new york"),
    ("la", "los angeles"),
    ("sf", "san francisco"),
];

/// A city: folded, administrative words (`municipiul`, `sector 3`, `city
/// of`) dropped, known aliases mapped (`Bucharest` = `București` =
/// `Bucuresti Sector 3`).
pub(crate) fn city(raw: &str) -> Option<String> {
    let f = folded(raw);
    let mut tokens: Vec<&str> = Vec::new();
    let mut it = f.split(' ').filter(|t| !t.is_empty()).peekable();
    while let Some(t) = it.next() {
        match t {
            "sector" | "sectorul" | "district" | "arrondissement" | "bezirk" => {
                // Drop the word and the number after it.
                if it
                    .peek()
                    .is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()))
                {
                    let _ = it.next();
                }
            }
            "municipiul" | "mun" | "orasul" | "oras" | "comuna" | "city" | "of" | "stadt" => {}
            _ if t.bytes().all(|b| b.is_ascii_digit()) => {}
            // Romanian "Târgu"/"Tîrgu"/"Tg." (market town) in one form.
            "tg" | "tirgu" => tokens.push("targu"),
            _ => tokens.push(t),
        }
    }
    let joined = tokens.join(" ");
    let squeezed: String = joined.chars().filter(|c| *c != ' ').collect();
    let mapped = CITY_ALIASES
        .iter()
        .find(|(alias, _)| *alias == joined || *alias == squeezed)
        .map_or(joined, |(_, canonical)| (*canonical).to_owned());
    non_empty(mapped)
}

/// A postal code: letters and digits only, upper-case letters folded.
pub(crate) fn postcode(raw: &str) -> Option<String> {
    non_empty(alnum(raw))
}

/// An identifier: letters and digits only, case folded (`AB-12 34` =
/// `ab1234`).
pub(crate) fn identifier(raw: &str) -> Option<String> {
    non_empty(alnum(raw))
}

fn alnum(raw: &str) -> String {
    folded(raw).chars().filter(|c| *c != ' ').collect()
}

/// A calendar date as `YYYYMMDD`: accepts `YYYYMMDD`, `YYYY-MM-DD` (any
/// separator), `DD.MM.YYYY` and `DD/MM/YYYY` (day first unless the first
/// number exceeds 12 and the second does not), with a time part ignored.
/// Anything else keeps its digits, so a corrupt date still compares.
pub(crate) fn date(raw: &str) -> Option<String> {
    let t = raw.trim();
    let head = t.split(['T', 't', ' ']).next().unwrap_or(t);
    let parts: Vec<&str> = head
        .split(|c: char| !c.is_ascii_digit())
        .filter(|p| !p.is_empty())
        .collect();
    let num = |s: &str| s.parse::<u32>().ok();
    let ymd = match parts.as_slice() {
        [y, m, d] if y.len() == 4 => num(y).zip(num(m)).zip(num(d)).map(|((y, m), d)| (y, m, d)),
        [a, b, y] if y.len() == 4 => num(a).zip(num(b)).zip(num(y)).map(|((a, b), y)| {
            if b > 12 && a <= 12 {
                (y, a, b)
            } else {
                (y, b, a)
            }
        }),
        _ => None,
    };
    match ymd {
        Some((y, m, d)) if (1..=12).contains(&m) && (1..=31).contains(&d) => {
            Some(format!("{y:04}{m:02}{d:02}"))
        }
        _ => non_empty(head.chars().filter(char::is_ascii_digit).collect()),
    }
}

/// Free text: folded tokens in their order.
pub(crate) fn text(raw: &str) -> Option<String> {
    non_empty(folded(raw))
}

fn non_empty(s: String) -> Option<String> {
    (!s.is_empty()).then_some(s)
}

/// American Soundex of a folded token as a compact code (letter and three
/// digits packed in a `u32`); non-ASCII tokens hash to a code of their
/// own. Robust to most one-letter typos after the first letter, which is
/// what blocking on names needs.
pub(crate) fn soundex(token: &str) -> u32 {
    let mut bytes = token.bytes();
    let Some(first) = bytes.next() else {
        return 0;
    };
    if !token.is_ascii() {
        return 0x8000_0000 | (foldhash_u64(token) as u32 & 0x7fff_ffff);
    }
    let code = |b: u8| -> u8 {
        match b.to_ascii_lowercase() {
            b'b' | b'f' | b'p' | b'v' => 1,
            b'c' | b'g' | b'j' | b'k' | b'q' | b's' | b'x' | b'z' => 2,
            b'd' | b't' => 3,
            b'l' => 4,
            b'm' | b'n' => 5,
            b'r' => 6,
            b'h' | b'w' => 7, // ignored, but do not separate equal codes
            _ => 0,           // vowels separate equal codes
        }
    };
    let mut out = u32::from(first.to_ascii_lowercase()) << 24;
    let mut last = code(first);
    let mut n = 0;
    for b in bytes {
        let c = code(b);
        if c == 7 {
            continue;
        }
        if c != 0 && c != last {
            out |= u32::from(c) << (16 - 8 * n);
            n += 1;
            if n == 3 {
                break;
            }
        }
        last = c;
    }
    out
}

/// The crate's fixed-seed 64-bit hash of a string (deterministic across
/// runs and platforms); never 0, which marks "absent".
pub(crate) fn foldhash_u64(s: &str) -> u64 {
    use std::hash::BuildHasher;
    foldhash::fast::FixedState::with_seed(HASH_SEED).hash_one(s) | 1
}

/// Seed of every dedup hash, fixed so that keys and results are the same
/// in every run.
pub(crate) const HASH_SEED: u64 = 0x5eed_0dd0_c0ff_ee11;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doc_fold() {
        use super::fold;
        let mut s = String::new();
        fold("  ŞTEFĂNESCU-Ionuț,  O'Brien ", &mut s);
        assert_eq!(s, "stefanescu ionut obrien");
        fold("Ștefănescu", &mut s); // comma-below form folds the same way
        assert_eq!(s, "stefanescu");
    }

    #[test]
    fn doc_person_name() {
        use super::person_name;
        assert_eq!(person_name("POPESCU, Ion").as_deref(), Some("ion popescu"));
        assert_eq!(person_name("Dl. I. Popescu").as_deref(), Some("i popescu"));
        assert_eq!(person_name(" - "), None);
    }

    #[test]
    fn doc_company() {
        use super::company;
        assert_eq!(
            company("S.C. ALFA Construct S.R.L.").as_deref(),
            Some("alfa construct")
        );
        assert_eq!(
            company("Alfa Construct SRL").as_deref(),
            Some("alfa construct")
        );
        assert_eq!(company("Beta GmbH & Co. KG").as_deref(), Some("beta"));
    }

    #[test]
    fn doc_email() {
        use super::email;
        assert_eq!(
            email(" Ion.Popescu+crm@Example.RO ").as_deref(),
            Some("ion.popescu@example.ro")
        );
        assert_eq!(
            email("i.o.n+x@googlemail.com").as_deref(),
            Some("ion@gmail.com")
        );
    }

    #[test]
    fn doc_phone() {
        use super::phone;
        for p in [
            "+40 721 234 567",
            "0040721234567",
            "0721-234-567",
            "(0721) 234.567",
        ] {
            assert_eq!(phone(p, Some("RO")).as_deref(), Some("40721234567"));
        }
        assert_eq!(
            phone("+1 (415) 555-0100", Some("RO")).as_deref(),
            Some("14155550100")
        );
    }

    #[test]
    fn doc_city() {
        use super::city;
        assert_eq!(city("București, Sector 3").as_deref(), Some("bucuresti"));
        assert_eq!(city("Bucharest").as_deref(), Some("bucuresti"));
        assert_eq!(city("Cluj-Napoca").as_deref(), Some("cluj napoca"));
    }

    #[test]
    fn doc_date() {
        use super::date;
        assert_eq!(date("2026-06-01").as_deref(), Some("20260601"));
        assert_eq!(date("1.6.2026").as_deref(), Some("20260601"));
        assert_eq!(date("20260601").as_deref(), Some("20260601"));
    }

    #[test]
    fn doc_soundex() {
        use super::soundex;
        assert_eq!(soundex("popescu"), soundex("popesku"));
        assert_ne!(soundex("popescu"), soundex("ionescu"));
    }

    #[test]
    fn romanian_letters_fold_in_both_forms() {
        // comma below (U+0219, U+021B) and legacy cedilla (U+015F, U+0163)
        for s in ["Ștefan Țurcanu", "Ştefan Ţurcanu", "STEFAN TURCANU"] {
            assert_eq!(folded(s), "stefan turcanu");
        }
        assert_eq!(folded("Ăâî ĂÂÎ"), "aai aai");
    }

    #[test]
    fn legal_forms_drop() {
        for s in [
            "Alfa SRL",
            "ALFA S.R.L.",
            "SC Alfa SRL",
            "Alfa",
            "alfa s.a.",
            "Alfa Ltd.",
        ] {
            assert_eq!(company(s).as_deref(), Some("alfa"), "{s}");
        }
        assert_eq!(company("Company SA").as_deref(), Some("company sa"));
    }

    #[test]
    fn phones_without_country_keep_digits() {
        assert_eq!(phone("0721 234 567", None).as_deref(), Some("0721234567"));
        assert_eq!(phone("12", Some("RO")), None);
        assert_eq!(
            phone("021 123 4567 int. 12", Some("RO")).as_deref(),
            Some("40211234567")
        );
    }

    #[test]
    fn country_names_give_calling_codes() {
        assert_eq!(
            phone("0721 234 567", Some("România")).as_deref(),
            Some("40721234567")
        );
        assert_eq!(
            phone("030 1234567", Some("Germany")).as_deref(),
            Some("49301234567")
        );
        assert_eq!(
            phone("0721 234 567", Some("ro")).as_deref(),
            Some("40721234567")
        );
    }

    #[test]
    fn email_mailto_in_any_case_is_stripped() {
        let e = email("MAILTO:Ion@Example.ro");
        assert_eq!(e.as_deref(), Some("ion@example.ro"));
        assert_eq!(
            email("<Mailto:ion@example.ro>").as_deref(),
            Some("ion@example.ro")
        );
    }

    #[test]
    fn email_dot_after_bracket_is_stripped() {
        for s in [
            "mailto:<ion@example.ro>.",
            "<ion@example.ro.>",
            "ion@example.ro.>.",
        ] {
            let e = email(s);
            assert_eq!(e.as_deref(), Some("ion@example.ro"), "{s}");
            assert_eq!(email("ion@example.ro"), e);
        }
    }

    #[test]
    fn company_letters_around_a_connector_are_a_fixed_point() {
        let c = company("Alfa B si Q Beta");
        assert_eq!(c.as_deref(), Some("alfa bq beta"));
        assert_eq!(company("alfa bq beta"), c);
        assert_eq!(company("B & Q").as_deref(), Some("bq"));
        // Joined letters that make a legal form: the name keeps its words.
        let c = company("A si B SRL");
        assert_eq!(c.as_deref(), Some("a si b srl"));
        assert_eq!(c.as_deref().and_then(company), c);
    }

    #[test]
    fn phone_00_with_three_digits_is_no_phone() {
        assert_eq!(phone("0\"0-0.07", None), None);
        assert_eq!(phone("00 123", Some("RO")), None);
        assert_eq!(phone("011 1234", Some("US")), None);
        assert_eq!(phone("0012345", None).as_deref(), Some("12345"));
    }

    #[test]
    fn dates() {
        assert_eq!(date("19081209").as_deref(), Some("19081209"));
        assert_eq!(date("12/25/2020").as_deref(), Some("20201225"));
        assert_eq!(date("garbage"), None);
    }
}
