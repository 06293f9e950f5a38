//! Field kinds and their comparators: the [`Comparator`] trait (normalise
//! once, compare to a graded agreement level, emit blocking keys) and the
//! built-in comparator of every [`FieldKind`].
//!
//! A level is a small integer: `0` is disagreement, the last level is exact
//! agreement of the normalised values, the ones in between are graded
//! partial agreement. Each level gets its own weight in scoring.

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::normalize::{self, foldhash_u64};

/// How one kind of field is normalised, compared and blocked on.
///
/// Implement it to add a field kind or to replace how a built-in kind
/// compares, and put it in a [`FieldSpec`](super::FieldSpec) with
/// [`FieldSpec::custom`](super::FieldSpec::custom): here a VAT number
/// added to the prospect profile, so that two records of one person with
/// the same VAT number get the evidence of it.
///
/// ```
/// use std::sync::Arc;
/// use sales_metrics::dedup::{Comparator, CsvRecords, Dedup, FieldSpec, Profile};
///
/// /// VAT numbers: exact after dropping the country prefix, else disagree.
/// #[derive(Debug)]
/// struct VatNumber;
///
/// impl Comparator for VatNumber {
///     fn level_names(&self) -> &[&'static str] {
///         &["different", "exact"]
///     }
///     fn normalize(&self, raw: &str, _country: Option<&str>) -> Option<String> {
///         let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
///         (!digits.is_empty()).then_some(digits)
///     }
///     fn compare(&self, a: &str, b: &str) -> u8 {
///         u8::from(a == b)
///     }
///     fn default_m(&self) -> Vec<f64> {
///         vec![0.05, 0.95]
///     }
///     fn default_u(&self) -> Vec<f64> {
///         vec![0.9999, 0.0001]
///     }
/// }
///
/// let profile = Profile::prospect().with_field(FieldSpec::custom("vat", Arc::new(VatNumber)))?;
/// let records = CsvRecords::from_csv(
///     "prospect_id,name,company,vat,country\n\
///      p1,Ion Popescu,Alfa SRL,RO 123456,RO\n\
///      p2,Popescu Ion,Alfa Construct,123456,RO\n\
///      p3,Ion Popescu,Omega SRL,RO 999,RO\n"
///         .as_bytes(),
///     "prospect_id",
/// )?;
/// let result = Dedup::new(profile).run(&records)?;
/// let why = result.explain("p1", "p2").ok_or("p1 or p2 unknown")?;
/// assert!(why.fields.iter().any(|f| f.field == "vat" && f.level_name == "exact"));
/// assert_eq!(result.cluster_id("p2"), Some("p1"));
/// assert_eq!(result.cluster_id("p3"), Some("p3"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait Comparator: Send + Sync + fmt::Debug {
    /// Names of the agreement levels, from disagreement (level 0) to exact
    /// agreement (the last); between 2 and 8 levels.
    fn level_names(&self) -> &[&'static str];

    /// Normalises a raw value, once per record; `None` when nothing
    /// comparable is left. `country` is the record's country (ISO 3166
    /// alpha-2) from the profile's
    /// [country column](super::Profile::with_country_column), else its
    /// [default country](super::Profile::with_default_country); phone
    /// numbers need it.
    fn normalize(&self, raw: &str, country: Option<&str>) -> Option<String>;

    /// The agreement level (`0..levels`) of two normalised values; a
    /// level past the last counts as the last.
    fn compare(&self, a: &str, b: &str) -> u8;

    /// Blocking keys of a normalised value, appended to `out` (default: a
    /// hash of the whole value). Records that share a key of a blocking
    /// rule become candidate pairs. A key is any hash of text the
    /// comparator chooses (a token, a prefix, a phonetic code); of a
    /// caller's comparator only the low 46 bits are used (the higher ones
    /// flag the built-in comparators' coarse and specific keys).
    fn block_keys(&self, value: &str, out: &mut Vec<u64>) {
        out.push(block_key(value, 0, 0));
    }

    /// Default probability of each level among true matches (m).
    fn default_m(&self) -> Vec<f64>;

    /// Default probability of each level among non-matches (u), used until
    /// estimated from the data.
    fn default_u(&self) -> Vec<f64>;

    /// Whether the u-probability of `level` is estimated from random pairs
    /// of records (default). Return `false` for a level that only makes
    /// sense given other fields agree (another mailbox at the same
    /// organisation's domain), whose default u is kept.
    fn estimated(&self, _level: u8) -> bool {
        true
    }

    /// Whether a value is a shared role value (a generic mailbox) that says
    /// little about which entity is meant.
    fn is_generic(&self, _value: &str) -> bool {
        false
    }

    /// Whether a level means "these are different entities" strongly
    /// enough to keep the two records apart in one cluster (used for
    /// fields marked [`FieldSpec::as_identity`](super::FieldSpec::as_identity),
    /// and for [`FieldSpec::as_contact`](super::FieldSpec::as_contact)
    /// fields when neither value is shared by several people).
    fn conflicting(&self, _level: u8) -> bool {
        false
    }
}

/// Flag of a blocking key too coarse to use except together with a
/// [`SPECIFIC_KEY`] of another field (a name's initials).
pub(crate) const COARSE_KEY: u64 = 1 << 47;

/// Flag of a blocking key specific enough to pair with a coarse one (a
/// whole company name, an e-mail address, a phone number).
pub(crate) const SPECIFIC_KEY: u64 = 1 << 46;

/// A blocking key: 40 bits of the text's hash, a 6-bit tag telling key
/// families apart, and the [`COARSE_KEY`]/[`SPECIFIC_KEY`] flags.
pub(crate) fn block_key(text: &str, tag: u8, flags: u64) -> u64 {
    (foldhash_u64(text) & 0xff_ffff_ffff)
        | (u64::from(tag & 0x3f) << 40)
        | (flags & (COARSE_KEY | SPECIFIC_KEY))
}

/// The built-in field kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    /// A full person name in one field, any token order, initials allowed.
    PersonName,
    /// A given (first) name.
    GivenName,
    /// A surname (family name).
    Surname,
    /// A company name (legal-form suffixes ignored).
    Company,
    /// An e-mail address.
    Email,
    /// A phone number.
    Phone,
    /// A city.
    City,
    /// A postal code.
    Postcode,
    /// A calendar date (for example a date of birth).
    Date,
    /// An identifier compared exactly (one typo tolerated at a lower level).
    Id,
    /// Free text.
    Text,
}

impl FieldKind {
    /// Every kind.
    pub const ALL: [FieldKind; 11] = [
        FieldKind::PersonName,
        FieldKind::GivenName,
        FieldKind::Surname,
        FieldKind::Company,
        FieldKind::Email,
        FieldKind::Phone,
        FieldKind::City,
        FieldKind::Postcode,
        FieldKind::Date,
        FieldKind::Id,
        FieldKind::Text,
    ];

    /// The kind's name on the command line (`name`, `given_name`,
    /// `surname`, `company`, `email`, `phone`, `city`, `postcode`, `date`,
    /// `id`, `text`).
    pub const fn as_str(self) -> &'static str {
        match self {
            FieldKind::PersonName => "name",
            FieldKind::GivenName => "given_name",
            FieldKind::Surname => "surname",
            FieldKind::Company => "company",
            FieldKind::Email => "email",
            FieldKind::Phone => "phone",
            FieldKind::City => "city",
            FieldKind::Postcode => "postcode",
            FieldKind::Date => "date",
            FieldKind::Id => "id",
            FieldKind::Text => "text",
        }
    }

    /// The kind named `s` (as in [`FieldKind::as_str`]).
    pub fn parse(s: &str) -> Option<FieldKind> {
        FieldKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The built-in comparator of this kind.
    pub fn comparator(self) -> Arc<dyn Comparator> {
        match self {
            FieldKind::PersonName => Arc::new(PersonNameComparator),
            FieldKind::GivenName | FieldKind::Surname => Arc::new(NamePartComparator),
            FieldKind::Company => Arc::new(CompanyComparator),
            FieldKind::Email => Arc::new(EmailComparator),
            FieldKind::Phone => Arc::new(PhoneComparator),
            FieldKind::City => Arc::new(CityComparator),
            FieldKind::Postcode => Arc::new(CodeComparator {
                normalize: normalize::postcode,
            }),
            FieldKind::Date => Arc::new(DateComparator),
            FieldKind::Id => Arc::new(CodeComparator {
                normalize: normalize::identifier,
            }),
            FieldKind::Text => Arc::new(TextComparator),
        }
    }
}

impl fmt::Display for FieldKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

// ---------------------------------------------------------------------------
// String similarity

/// Jaro–Winkler similarity in `[0, 1]` (prefix scale 0.1, up to 4
/// characters), over characters.
pub(crate) fn jaro_winkler(a: &str, b: &str) -> f64 {
    if a == b {
        return if a.is_empty() { 0.0 } else { 1.0 };
    }
    if a.is_ascii() && b.is_ascii() {
        jw_slices(a.as_bytes(), b.as_bytes())
    } else {
        let ca: Vec<char> = a.chars().collect();
        let cb: Vec<char> = b.chars().collect();
        jw_slices(&ca, &cb)
    }
}

/// Whether `jaro_winkler(a, b) >= threshold`, rejecting most pairs by a
/// cheap upper bound (shared letter counts, no transpositions, full
/// prefix bonus) before computing the similarity.
pub(crate) fn jaro_winkler_at_least(a: &str, b: &str, threshold: f64) -> bool {
    if a == b {
        return !a.is_empty();
    }
    if a.is_ascii() && b.is_ascii() {
        let (la, lb) = (a.len(), b.len());
        if la == 0 || lb == 0 {
            return false;
        }
        let mut hist = [0i16; 128];
        for c in a.bytes() {
            if let Some(h) = hist.get_mut(usize::from(c & 0x7f)) {
                *h += 1;
            }
        }
        let mut common = 0usize;
        for c in b.bytes() {
            if let Some(h) = hist.get_mut(usize::from(c & 0x7f))
                && *h > 0
            {
                *h -= 1;
                common += 1;
            }
        }
        let m = common as f64;
        let ub = if common == 0 {
            0.0
        } else {
            (m / la as f64 + m / lb as f64 + 1.0) / 3.0
        };
        let prefix = a
            .bytes()
            .zip(b.bytes())
            .take(4)
            .take_while(|(x, y)| x == y)
            .count() as f64;
        if ub + prefix * 0.1 * (1.0 - ub) < threshold {
            return false;
        }
    }
    jaro_winkler(a, b) >= threshold
}

fn jw_slices<T: Copy + Eq>(a: &[T], b: &[T]) -> f64 {
    let j = jaro(a, b);
    let prefix = a
        .iter()
        .zip(b.iter())
        .take(4)
        .take_while(|(x, y)| x == y)
        .count();
    j + prefix as f64 * 0.1 * (1.0 - j)
}

fn jaro<T: Copy + Eq>(a: &[T], b: &[T]) -> f64 {
    let (la, lb) = (a.len(), b.len());
    if la == 0 || lb == 0 {
        return 0.0;
    }
    let window = (la.max(lb) / 2).saturating_sub(1);
    let mut a_flags = [false; 64];
    let mut b_flags = [false; 64];
    let mut a_heap;
    let mut b_heap;
    let (af, bf): (&mut [bool], &mut [bool]) = if la <= 64 && lb <= 64 {
        (&mut a_flags, &mut b_flags)
    } else {
        a_heap = vec![false; la];
        b_heap = vec![false; lb];
        (&mut a_heap, &mut b_heap)
    };
    let mut matches = 0usize;
    for (i, x) in a.iter().enumerate() {
        let lo = i.saturating_sub(window);
        let hi = (i + window + 1).min(lb);
        for j in lo..hi {
            if bf.get(j).copied().unwrap_or(true) {
                continue;
            }
            if b.get(j) == Some(x) {
                if let Some(f) = bf.get_mut(j) {
                    *f = true;
                }
                if let Some(f) = af.get_mut(i) {
                    *f = true;
                }
                matches += 1;
                break;
            }
        }
    }
    if matches == 0 {
        return 0.0;
    }
    let a_matched = a.iter().zip(af.iter()).filter(|(_, f)| **f).map(|(x, _)| x);
    let b_matched = b.iter().zip(bf.iter()).filter(|(_, f)| **f).map(|(x, _)| x);
    let half_transpositions = a_matched.zip(b_matched).filter(|(x, y)| x != y).count();
    let m = matches as f64;
    let t = (half_transpositions / 2) as f64;
    (m / la as f64 + m / lb as f64 + (m - t) / m) / 3.0
}

/// Whether two strings are at most one edit apart (insertion, deletion,
/// substitution or transposition of adjacent characters), on bytes.
pub(crate) fn within_one_edit(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a == b {
        return true;
    }
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    match long.len() - short.len() {
        0 => {
            let mut diffs = (0..a.len()).filter(|&i| a.get(i) != b.get(i));
            match (diffs.next(), diffs.next(), diffs.next()) {
                (Some(_), None, _) => true,
                (Some(i), Some(j), None) if j == i + 1 => {
                    a.get(i) == b.get(j) && a.get(j) == b.get(i)
                }
                _ => false,
            }
        }
        1 => {
            let p = short
                .iter()
                .zip(long.iter())
                .take_while(|(x, y)| x == y)
                .count();
            short.get(p..) == long.get(p + 1..)
        }
        _ => false,
    }
}

fn tokens(s: &str) -> impl Iterator<Item = &str> + Clone {
    SpaceTokens { rest: s }
}

/// The tokens of a normalised value: runs of bytes other than the ASCII
/// space (the same tokens as `split(' ')` without the empty ones). A
/// plain byte scan: the values are a few bytes long, where `str::split`'s
/// searcher spends more on setting up than on searching.
#[derive(Clone)]
struct SpaceTokens<'a> {
    rest: &'a str,
}

impl<'a> Iterator for SpaceTokens<'a> {
    type Item = &'a str;

    #[inline]
    fn next(&mut self) -> Option<&'a str> {
        let bytes = self.rest.as_bytes();
        let start = bytes.iter().position(|&b| b != b' ')?;
        let end = bytes
            .iter()
            .skip(start)
            .position(|&b| b == b' ')
            .map_or(bytes.len(), |len| start + len);
        // Both ends are at an ASCII space or the value's end: char
        // boundaries, so neither `get` fails.
        let token = self.rest.get(start..end)?;
        self.rest = self.rest.get(end..).unwrap_or_default();
        Some(token)
    }
}

/// Up to 16 tokens of `s` on the stack (no allocation per comparison).
struct Tokens<'a> {
    buf: [&'a str; 16],
    len: usize,
}

impl<'a> Tokens<'a> {
    fn of(s: &'a str) -> Self {
        let mut t = Tokens {
            buf: [""; 16],
            len: 0,
        };
        for (slot, tok) in t.buf.iter_mut().zip(tokens(s)) {
            *slot = tok;
            t.len += 1;
        }
        t
    }

    fn as_slice(&self) -> &[&'a str] {
        self.buf.get(..self.len).unwrap_or(&[])
    }

    fn sorted_dedup(mut self) -> Self {
        if let Some(s) = self.buf.get_mut(..self.len) {
            s.sort_unstable();
        }
        let mut w = 0;
        for r in 0..self.len {
            let cur = self.buf.get(r).copied().unwrap_or("");
            if w == 0 || self.buf.get(w - 1).copied() != Some(cur) {
                if let Some(slot) = self.buf.get_mut(w) {
                    *slot = cur;
                }
                w += 1;
            }
        }
        self.len = w;
        self
    }
}

// ---------------------------------------------------------------------------
// Person names

/// Levels of [`FieldKind::PersonName`].
pub(crate) mod name_level {
    /// No token in common.
    pub(crate) const DIFFERENT: u8 = 0;
    /// Some tokens agree but another clearly differs (`Ion Popescu` vs
    /// `Maria Popescu`): in CRM data, two people.
    pub(crate) const CONFLICT: u8 = 1;
    /// Some tokens agree and another is similar but not a plain typo
    /// (`Ion Ionescu` vs `Ioana Ionescu`, `Ilie` vs `Ile`): a relative or a
    /// bad typo; neither evidence for nor a veto against one person.
    pub(crate) const NEAR: u8 = 2;
    /// Compatible but thin: one name is a single token or only initials
    /// (`Popescu` vs `Ion Popescu`).
    pub(crate) const WEAK: u8 = 3;
    /// Compatible with initials or an extra token (`I. Popescu` vs `Ion
    /// Popescu`, `Ion Popescu` vs `Ion Popescu Marin`).
    pub(crate) const COMPATIBLE: u8 = 4;
    /// Same tokens up to typos.
    pub(crate) const CLOSE: u8 = 5;
    /// Same tokens (any order, after folding).
    pub(crate) const EXACT: u8 = 6;
}

/// Whether two name tokens are the same name up to a typo: one edit
/// (insertion, deletion, substitution, adjacent transposition) in tokens
/// of 4+ letters, two in tokens of 8+ letters with the same first letter
/// (not `Ionescu`/`Popescu`), or Jaro–Winkler ≥ 0.9 in
/// tokens of 5+ letters. Shorter tokens must be equal, and gendered pairs
/// (`Daniel`/`Daniela`, `Mario`/`Maria`) are different names, not typos.
pub(crate) fn same_name_token(t: &str, u: &str) -> bool {
    if t == u {
        return true;
    }
    let (short, long) = if t.len() <= u.len() { (t, u) } else { (u, t) };
    // Gendered forms: `x`/`xa` and `..n`/`..a` endings.
    let gendered =
        (long.len() == short.len() + 1 && long.starts_with(short) && long.ends_with('a'))
            || (long.len() == short.len()
                && long.get(..long.len() - 1) == short.get(..short.len() - 1)
                && short.ends_with('a') != long.ends_with('a'));
    if short.len() < 4 || gendered {
        return false;
    }
    within_one_edit(t, u)
        || (short.len() >= 8 && t.get(..1) == u.get(..1) && edit_distance_at_most(t, u, 2))
        || (short.len() >= 5 && jaro_winkler_at_least(t, u, 0.9))
}

/// Whether the optimal-string-alignment distance (edits and adjacent
/// transpositions) of two strings is at most `k`, on bytes.
pub(crate) fn edit_distance_at_most(a: &str, b: &str, k: usize) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len().abs_diff(b.len()) > k {
        return false;
    }
    let w = b.len() + 1;
    if w > 64 {
        return false;
    }
    let mut prev2 = [0usize; 64];
    let mut prev = [0usize; 64];
    for (j, p) in prev.iter_mut().enumerate() {
        *p = j;
    }
    let mut cur = [0usize; 64];
    for i in 1..=a.len() {
        if let Some(c) = cur.first_mut() {
            *c = i;
        }
        let mut row_min = i;
        for j in 1..w {
            let ai = a.get(i - 1);
            let bj = b.get(j - 1);
            let cost = usize::from(ai != bj);
            let del = prev.get(j).copied().unwrap_or(usize::MAX - 1) + 1;
            let ins = cur.get(j - 1).copied().unwrap_or(usize::MAX - 1) + 1;
            let sub = prev.get(j - 1).copied().unwrap_or(usize::MAX - 1) + cost;
            let mut d = del.min(ins).min(sub);
            if i > 1 && j > 1 && a.get(i - 1) == b.get(j - 2) && a.get(i - 2) == b.get(j - 1) {
                d = d.min(prev2.get(j - 2).copied().unwrap_or(usize::MAX - 1) + 1);
            }
            if let Some(c) = cur.get_mut(j) {
                *c = d;
            }
            row_min = row_min.min(d);
        }
        if row_min > k {
            return false;
        }
        std::mem::swap(&mut prev2, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    prev.get(w - 1).is_some_and(|&d| d <= k)
}

/// Compares full person names token by token, in any order, with
/// initials and typos ([`same_name_token`]).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct PersonNameComparator;

/// The outcome of aligning the tokens of two names.
struct NameAlignment {
    /// Tokens of the shorter name with no partner.
    unmatched: usize,
    /// Unmatched tokens with no similar token left either.
    hard: usize,
    /// Tokens matched through an initial.
    by_initial: usize,
    /// Tokens matched in full (exact or typo).
    full: usize,
}

fn align_names(short: &[&str], long: &[&str]) -> NameAlignment {
    let mut used = [false; 16];
    let mut al = NameAlignment {
        unmatched: 0,
        hard: 0,
        by_initial: 0,
        full: 0,
    };
    // Exact partners first, so that a typo elsewhere cannot steal them.
    let mut pending_buf = [""; 16];
    let mut pending_len = 0;
    for t in short.iter().take(16) {
        let hit = long
            .iter()
            .enumerate()
            .take(16)
            .find(|(j, u)| !used.get(*j).copied().unwrap_or(true) && *u == t);
        match hit {
            Some((j, _)) => {
                if let Some(f) = used.get_mut(j) {
                    *f = true;
                }
                if t.chars().nth(1).is_none() {
                    al.by_initial += 1;
                } else {
                    al.full += 1;
                }
            }
            None => {
                if let Some(slot) = pending_buf.get_mut(pending_len) {
                    *slot = t;
                    pending_len += 1;
                }
            }
        }
    }
    let pending = pending_buf.get(..pending_len).unwrap_or(&[]);
    for t in pending {
        let t_initial = t.chars().nth(1).is_none();
        let mut best: Option<(usize, f64, bool)> = None;
        for (j, u) in long.iter().enumerate().take(16) {
            if used.get(j).copied().unwrap_or(true) {
                continue;
            }
            let u_initial = u.chars().nth(1).is_none();
            let (score, initial) = if t_initial || u_initial {
                (
                    if t.chars().next() == u.chars().next() {
                        0.9
                    } else {
                        0.0
                    },
                    true,
                )
            } else if same_name_token(t, u) {
                (1.0, false)
            } else {
                (0.0, false)
            };
            if best.is_none_or(|(_, s, _)| score > s) {
                best = Some((j, score, initial));
            }
        }
        match best {
            Some((j, s, initial)) if s > 0.0 => {
                if let Some(f) = used.get_mut(j) {
                    *f = true;
                }
                if initial {
                    al.by_initial += 1;
                } else {
                    al.full += 1;
                }
            }
            _ => {
                al.unmatched += 1;
                let near = !t_initial
                    && long.iter().enumerate().take(16).any(|(j, u)| {
                        !used.get(j).copied().unwrap_or(true)
                            && u.chars().nth(1).is_some()
                            && jaro_winkler_at_least(t, u, 0.8)
                    });
                if !near {
                    al.hard += 1;
                }
            }
        }
    }
    al
}

impl Comparator for PersonNameComparator {
    fn level_names(&self) -> &[&'static str] {
        &[
            "different",
            "conflict",
            "near",
            "weak",
            "compatible",
            "close",
            "exact",
        ]
    }

    fn normalize(&self, raw: &str, _country: Option<&str>) -> Option<String> {
        normalize::person_name(raw)
    }

    fn compare(&self, a: &str, b: &str) -> u8 {
        if a == b {
            return name_level::EXACT;
        }
        let (ta, tb) = (Tokens::of(a), Tokens::of(b));
        let (short, long) = if ta.len <= tb.len {
            (ta.as_slice(), tb.as_slice())
        } else {
            (tb.as_slice(), ta.as_slice())
        };
        let al = align_names(short, long);
        if al.full + al.by_initial == 0 {
            return name_level::DIFFERENT;
        }
        if al.unmatched > 0 {
            // A full token agreeing while another conflicts is a different
            // person sharing a name part; initials alone agreeing are noise.
            return if al.full > 0 && al.hard == 0 {
                name_level::NEAR
            } else if al.full > 0 {
                name_level::CONFLICT
            } else {
                name_level::DIFFERENT
            };
        }
        if al.full == 0 || (short.len() == 1 && long.len() > 1) {
            return name_level::WEAK;
        }
        if al.by_initial > 0 || short.len() != long.len() {
            return name_level::COMPATIBLE;
        }
        // All tokens matched in full with equal counts: typos only.
        name_level::CLOSE
    }

    fn block_keys(&self, value: &str, out: &mut Vec<u64>) {
        // One key per full token (Soundex), so that token order and most
        // typos still meet in a block, and one key of the sorted initials
        // of all tokens, so that `M. Pokescu` meets `Maria Popescu`.
        let start = out.len();
        for t in tokens(value).filter(|t| t.chars().nth(1).is_some()) {
            let k = u64::from(normalize::soundex(t)) | (1 << 40);
            if !out.get(start..).is_some_and(|s| s.contains(&k)) {
                out.push(k);
            }
        }
        let mut initials: Vec<char> = tokens(value).filter_map(|t| t.chars().next()).collect();
        if initials.len() >= 2 {
            initials.sort_unstable();
            let s: String = initials.into_iter().collect();
            out.push(block_key(&s, 9, COARSE_KEY));
        }
    }

    fn default_m(&self) -> Vec<f64> {
        vec![0.01, 0.01, 0.01, 0.03, 0.13, 0.14, 0.67]
    }

    fn default_u(&self) -> Vec<f64> {
        vec![0.96, 0.026, 0.01, 0.0015, 0.0002, 0.0001, 0.0002]
    }

    fn estimated(&self, level: u8) -> bool {
        // Near names are mostly relatives and colleagues, whom random
        // pairs almost never are: keep the default u (weight about 0).
        level != name_level::NEAR
    }

    fn conflicting(&self, level: u8) -> bool {
        level <= name_level::CONFLICT
    }
}

/// Compares one name part (given name or surname): exact, typo levels by
/// Jaro–Winkler, and an initial against a full name.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct NamePartComparator;

impl Comparator for NamePartComparator {
    fn level_names(&self) -> &[&'static str] {
        &["different", "initial_or_far", "similar", "close", "exact"]
    }

    fn normalize(&self, raw: &str, _country: Option<&str>) -> Option<String> {
        normalize::name_part(raw)
    }

    fn compare(&self, a: &str, b: &str) -> u8 {
        if a == b {
            return 4;
        }
        let initial = |s: &str| s.chars().nth(1).is_none();
        if initial(a) || initial(b) {
            return u8::from(a.chars().next() == b.chars().next());
        }
        let s = jaro_winkler(a, b);
        if s >= 0.94 {
            3
        } else if s >= 0.88 {
            2
        } else {
            u8::from(s >= 0.8)
        }
    }

    fn block_keys(&self, value: &str, out: &mut Vec<u64>) {
        let squeezed: String = value.chars().filter(|c| *c != ' ').collect();
        if squeezed.chars().nth(1).is_some() {
            out.push(u64::from(normalize::soundex(&squeezed)) | (1 << 40));
        }
    }

    fn default_m(&self) -> Vec<f64> {
        vec![0.03, 0.04, 0.06, 0.12, 0.75]
    }

    fn default_u(&self) -> Vec<f64> {
        vec![0.95, 0.04, 0.006, 0.002, 0.002]
    }
}

// ---------------------------------------------------------------------------
// Companies

/// Compares company names after legal forms are dropped: exact, close
/// (typo or token order), partial (one name inside the other).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct CompanyComparator;

fn squeezed_equal(a: &str, b: &str) -> bool {
    a.chars()
        .filter(|c| *c != ' ')
        .eq(b.chars().filter(|c| *c != ' '))
}

/// Same number of tokens, pairwise equal or one typo apart (in tokens of
/// 4+ letters), at least one equal.
fn tokens_typo_equal(a: &str, b: &str) -> bool {
    let (ta, tb) = (tokens(a), tokens(b));
    if ta.clone().count() != tb.clone().count() {
        return false;
    }
    let mut exact = 0;
    for (x, y) in ta.zip(tb) {
        if x == y {
            exact += 1;
        } else if x.len().min(y.len()) < 4 || !within_one_edit(x, y) {
            return false;
        }
    }
    exact > 0
}

fn token_set_equal(a: &str, b: &str) -> bool {
    Tokens::of(a).sorted_dedup().as_slice() == Tokens::of(b).sorted_dedup().as_slice()
}

/// Whether every token of the shorter value occurs (up to a typo) in the
/// longer one, starting with the same first token (`Alfa` in `Alfa
/// Construct`, not `Mega` in `Secure Mobil Mega`).
fn token_subset(a: &str, b: &str) -> bool {
    let (ta, tb) = (Tokens::of(a), Tokens::of(b));
    let (short, long) = if ta.len <= tb.len {
        (ta.as_slice(), tb.as_slice())
    } else {
        (tb.as_slice(), ta.as_slice())
    };
    let similar =
        |t: &&str, u: &&str| t == u || (t.len().min(u.len()) >= 4 && within_one_edit(t, u));
    match (short.first(), long.first()) {
        (Some(s0), Some(l0)) if similar(s0, l0) => {
            short.iter().all(|t| long.iter().any(|u| similar(t, u)))
        }
        _ => false,
    }
}

impl Comparator for CompanyComparator {
    fn level_names(&self) -> &[&'static str] {
        &["different", "partial", "close", "exact"]
    }

    fn normalize(&self, raw: &str, _country: Option<&str>) -> Option<String> {
        normalize::company(raw)
    }

    fn compare(&self, a: &str, b: &str) -> u8 {
        if a == b {
            return 3;
        }
        if token_set_equal(a, b) || squeezed_equal(a, b) || tokens_typo_equal(a, b) {
            return 2;
        }
        u8::from(token_subset(a, b))
    }

    fn block_keys(&self, value: &str, out: &mut Vec<u64>) {
        // The whole name, spaces ignored: specific enough to pair with a
        // name's initials. (Single tokens such as "alfa" or "construct"
        // make blocks of unrelated companies.)
        let squeezed: String = value.chars().filter(|c| *c != ' ').collect();
        out.push(block_key(&squeezed, 3, SPECIFIC_KEY));
        // Typo-tolerant variants: the consonant skeleton (vowel typos and
        // most transpositions vanish) and, for long names, the first eight
        // letters (a typo later on does not matter).
        let skeleton: String = squeezed
            .chars()
            .filter(|c| !matches!(c, 'a' | 'e' | 'i' | 'o' | 'u' | 'y'))
            .fold(String::new(), |mut acc, c| {
                if !acc.ends_with(c) {
                    acc.push(c);
                }
                acc
            });
        if skeleton.len() >= 4 && skeleton != squeezed {
            out.push(block_key(&skeleton, 10, SPECIFIC_KEY));
        }
        if squeezed.len() > 10
            && let Some(prefix) = squeezed.get(..8)
        {
            out.push(block_key(prefix, 11, SPECIFIC_KEY));
        }
    }

    fn default_m(&self) -> Vec<f64> {
        vec![0.06, 0.06, 0.08, 0.8]
    }

    fn default_u(&self) -> Vec<f64> {
        vec![0.99, 0.008, 0.001, 0.001]
    }
}

// ---------------------------------------------------------------------------
// Contact details

/// Compares e-mail addresses: exact after normalisation; same local part
/// at another domain, or one typo at the same domain; different.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct EmailComparator;

impl Comparator for EmailComparator {
    fn level_names(&self) -> &[&'static str] {
        &["different", "other_at_same_domain", "similar", "exact"]
    }

    fn normalize(&self, raw: &str, _country: Option<&str>) -> Option<String> {
        normalize::email(raw)
    }

    fn compare(&self, a: &str, b: &str) -> u8 {
        if a == b {
            return 3;
        }
        match (a.split_once('@'), b.split_once('@')) {
            (Some((la, da)), Some((lb, db))) if da == db => {
                // A typo in the local part (digits must agree:
                // `maria.pop14@` and `maria.pop04@` are two accounts).
                let same_digits = la
                    .bytes()
                    .filter(u8::is_ascii_digit)
                    .eq(lb.bytes().filter(u8::is_ascii_digit));
                if within_one_edit(la, lb) && same_digits {
                    2
                } else if normalize::is_free_mail_domain(da) {
                    0
                } else {
                    // Two mailboxes at one organisation's domain: in a CRM,
                    // two colleagues far more often than one person.
                    1
                }
            }
            // A typo in the domain (`gmial.com`).
            (Some((la, da)), Some((lb, db)))
                if la == lb && da.len() >= 5 && within_one_edit(da, db) =>
            {
                2
            }
            // The same local part at another domain is not evidence: local
            // parts are made from names, so it would count the name twice.
            (Some(_), Some(_)) => 0,
            _ => 2 * u8::from(within_one_edit(a, b)),
        }
    }

    fn block_keys(&self, value: &str, out: &mut Vec<u64>) {
        out.push(block_key(value, 4, SPECIFIC_KEY));
    }

    fn default_m(&self) -> Vec<f64> {
        vec![0.07, 0.02, 0.03, 0.88]
    }

    fn default_u(&self) -> Vec<f64> {
        // Given the organisation agrees, another mailbox at its domain is
        // common among non-matches; this level's u is not estimated from
        // random pairs, which almost never share a domain.
        vec![0.6999, 0.3, 0.00005, 0.00005]
    }

    fn estimated(&self, level: u8) -> bool {
        level != 1
    }

    fn conflicting(&self, level: u8) -> bool {
        // Two personal mailboxes at one organisation: two people (unless
        // either is shared or a role mailbox, which the caller checks).
        level == 1
    }

    fn is_generic(&self, value: &str) -> bool {
        normalize::is_generic_email(value)
    }
}

/// Compares phone numbers in international digits: exact; one typo or the
/// same last 8 digits (a wrong country code); different.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct PhoneComparator;

fn last_digits(s: &str, n: usize) -> &str {
    s.get(s.len().saturating_sub(n)..).unwrap_or(s)
}

impl Comparator for PhoneComparator {
    fn level_names(&self) -> &[&'static str] {
        &["different", "similar", "exact"]
    }

    fn normalize(&self, raw: &str, country: Option<&str>) -> Option<String> {
        normalize::phone(raw, country)
    }

    fn compare(&self, a: &str, b: &str) -> u8 {
        if a == b {
            return 2;
        }
        let tail = a.len().min(b.len()) >= 8 && last_digits(a, 8) == last_digits(b, 8);
        u8::from(tail || (a.len() >= 7 && within_one_edit(a, b)))
    }

    fn block_keys(&self, value: &str, out: &mut Vec<u64>) {
        out.push(block_key(value, 5, SPECIFIC_KEY));
        if value.len() >= 8 {
            out.push(block_key(last_digits(value, 8), 6, SPECIFIC_KEY));
        }
    }

    fn default_m(&self) -> Vec<f64> {
        vec![0.08, 0.02, 0.9]
    }

    fn default_u(&self) -> Vec<f64> {
        vec![0.9998, 0.0001, 0.0001]
    }
}

// ---------------------------------------------------------------------------
// Places, codes, dates, text

/// Compares cities after aliases are mapped: exact; typo or one name
/// inside the other; different.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct CityComparator;

impl Comparator for CityComparator {
    fn level_names(&self) -> &[&'static str] {
        &["different", "similar", "exact"]
    }

    fn normalize(&self, raw: &str, _country: Option<&str>) -> Option<String> {
        normalize::city(raw)
    }

    fn compare(&self, a: &str, b: &str) -> u8 {
        if a == b {
            return 2;
        }
        u8::from(jaro_winkler_at_least(a, b, 0.9) || token_subset(a, b))
    }

    fn default_m(&self) -> Vec<f64> {
        vec![0.08, 0.04, 0.88]
    }

    fn default_u(&self) -> Vec<f64> {
        vec![0.9, 0.01, 0.09]
    }
}

/// Compares codes (postal codes, identifiers): exact; one typo or
/// transposition; different.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CodeComparator {
    normalize: fn(&str) -> Option<String>,
}

impl Comparator for CodeComparator {
    fn level_names(&self) -> &[&'static str] {
        &["different", "one_typo", "exact"]
    }

    fn normalize(&self, raw: &str, _country: Option<&str>) -> Option<String> {
        (self.normalize)(raw)
    }

    fn compare(&self, a: &str, b: &str) -> u8 {
        if a == b {
            2
        } else {
            u8::from(a.len() >= 3 && within_one_edit(a, b))
        }
    }

    fn default_m(&self) -> Vec<f64> {
        vec![0.08, 0.12, 0.8]
    }

    fn default_u(&self) -> Vec<f64> {
        vec![0.99, 0.009, 0.001]
    }
}

/// Compares dates as `YYYYMMDD`: exact; one typo, a transposition or day
/// and month swapped; different.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct DateComparator;

impl Comparator for DateComparator {
    fn level_names(&self) -> &[&'static str] {
        &["different", "similar", "exact"]
    }

    fn normalize(&self, raw: &str, _country: Option<&str>) -> Option<String> {
        normalize::date(raw)
    }

    fn compare(&self, a: &str, b: &str) -> u8 {
        if a == b {
            return 2;
        }
        let swapped = a.len() == 8
            && b.len() == 8
            && a.get(..4) == b.get(..4)
            && a.get(4..6) == b.get(6..8)
            && a.get(6..8) == b.get(4..6);
        u8::from(swapped || within_one_edit(a, b))
    }

    fn default_m(&self) -> Vec<f64> {
        vec![0.08, 0.12, 0.8]
    }

    fn default_u(&self) -> Vec<f64> {
        vec![0.995, 0.004, 0.001]
    }
}

/// Compares free text: exact; same tokens or a typo; overlapping tokens;
/// different.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct TextComparator;

impl Comparator for TextComparator {
    fn level_names(&self) -> &[&'static str] {
        &["different", "overlap", "close", "exact"]
    }

    fn normalize(&self, raw: &str, _country: Option<&str>) -> Option<String> {
        normalize::text(raw)
    }

    fn compare(&self, a: &str, b: &str) -> u8 {
        if a == b {
            return 3;
        }
        if token_set_equal(a, b) || jaro_winkler_at_least(a, b, 0.92) {
            return 2;
        }
        u8::from(token_subset(a, b) || jaro_winkler_at_least(a, b, 0.85))
    }

    fn block_keys(&self, value: &str, out: &mut Vec<u64>) {
        for t in tokens(value).filter(|t| t.len() >= 3).take(2) {
            out.push(block_key(t, 7, 0));
        }
    }

    fn default_m(&self) -> Vec<f64> {
        vec![0.08, 0.07, 0.1, 0.75]
    }

    fn default_u(&self) -> Vec<f64> {
        vec![0.97, 0.02, 0.005, 0.005]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jaro_winkler_examples() {
        assert!((jaro_winkler("martha", "marhta") - 0.9611).abs() < 1e-3);
        assert_eq!(jaro_winkler("", "abc"), 0.0);
    }

    fn name(a: &str, b: &str) -> u8 {
        let c = PersonNameComparator;
        let (Some(a), Some(b)) = (c.normalize(a, None), c.normalize(b, None)) else {
            return 99;
        };
        c.compare(&a, &b)
    }

    #[test]
    fn person_name_levels() {
        use name_level::*;
        assert_eq!(name("Popescu Ion", "Ion Popescu"), EXACT);
        assert_eq!(name("Ștefan Țurcanu", "Stefan Turcanu"), EXACT);
        assert_eq!(name("Ion Popsecu", "Ion Popescu"), CLOSE);
        assert_eq!(name("I. Popescu", "Ion Popescu"), COMPATIBLE);
        assert_eq!(name("Ion Popescu Marin", "Ion Popescu"), COMPATIBLE);
        assert_eq!(name("Popescu", "Ion Popescu"), WEAK);
        assert_eq!(name("Maria Popescu", "Ion Popescu"), CONFLICT);
        assert_eq!(name("Maria Ionescu", "Ion Popescu"), DIFFERENT);
        assert_eq!(name("M. Ionescu", "I. Ionescu"), CONFLICT);
    }

    #[test]
    fn email_levels() {
        let c = EmailComparator;
        assert_eq!(c.compare("ion@alfa.ro", "ion@alfa.ro"), 3);
        assert_eq!(c.compare("ion.pop@alfa.ro", "ion.pob@alfa.ro"), 2);
        assert_eq!(c.compare("ion.pop@gmail.com", "ion.pop@gmial.com"), 2);
        assert_eq!(c.compare("ion@alfa.ro", "maria@alfa.ro"), 1);
        assert_eq!(c.compare("ion@gmail.com", "maria@gmail.com"), 0);
        assert_eq!(c.compare("ion.pop@alfa.ro", "ion.pop@beta.ro"), 0);
        assert_eq!(c.compare("pop14@gmail.com", "pop04@gmail.com"), 0);
    }

    #[test]
    fn one_edit() {
        assert!(within_one_edit("abcd", "abdc"));
        assert!(within_one_edit("abcd", "abd"));
        assert!(within_one_edit("abcd", "abxd"));
        assert!(!within_one_edit("abcd", "badc"));
        assert!(!within_one_edit("abcd", "ab"));
    }

    #[test]
    fn jw_known_values() {
        assert!((jaro_winkler("dixon", "dicksonx") - 0.8133).abs() < 1e-3);
        assert!((jaro_winkler("jellyfish", "smellyfish") - 0.8963).abs() < 1e-3);
    }
}
