//! Profiles: which fields a record has, of which kind, in which role, and
//! which blocking rules bring candidate pairs together. The default
//! [`Profile::prospect`] maps SPEC §2's prospect fields.

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::compare::{Comparator, FieldKind};
use crate::error::{Error, Result};

/// What a field says about a record, beyond its own weights.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum FieldRole {
    /// Names the entity (a person's name): a conflicting level keeps two
    /// records out of one cluster, and contact values shared by records
    /// whose identities conflict are treated as shared (switchboards).
    Identity,
    /// A contact detail (e-mail, phone) that colleagues may share: its
    /// agreement weighs less when held by several distinct identities, and
    /// is capped when the identities of the two records conflict.
    Contact,
    /// Any other attribute.
    Attribute,
}

/// How the commonness of a value changes the weight of exact agreement on
/// it (term-frequency adjustment).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum TermFrequency {
    /// Every value weighs the field's average.
    Off,
    /// Rare values weigh more, common values less.
    On,
    /// Common values weigh less, rare ones no more than the average (for
    /// fields such as a city, whose rarity says little about identity).
    OnlyLower,
}

/// One field of a record: its column name, comparator and role.
///
/// A field is an *attribute* unless marked as naming the entity
/// ([`FieldSpec::as_identity`]: a person's name) or as a contact detail
/// colleagues may share ([`FieldSpec::as_contact`]: e-mail, phone).
#[derive(Clone)]
pub struct FieldSpec {
    /// Column name in the source.
    pub(crate) name: String,
    /// The built-in kind, or `None` for a caller's own comparator.
    pub(crate) kind: Option<FieldKind>,
    /// How values are normalised and compared.
    pub(crate) comparator: Arc<dyn Comparator>,
    /// The field's role.
    pub(crate) role: FieldRole,
    /// How exact agreement is weighted by how common the value is.
    pub(crate) term_frequency: TermFrequency,
}

impl fmt::Debug for FieldSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FieldSpec")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("role", &self.role)
            .field("term_frequency", &self.term_frequency)
            .finish()
    }
}

impl FieldSpec {
    /// A field of a built-in kind, with the kind's default role (person
    /// names identify, e-mails and phones are contacts) and term
    /// frequencies (a rare value weighs more, a common one less; for
    /// cities only less).
    pub fn new(name: impl Into<String>, kind: FieldKind) -> Self {
        let role = match kind {
            FieldKind::PersonName => FieldRole::Identity,
            FieldKind::Email | FieldKind::Phone => FieldRole::Contact,
            _ => FieldRole::Attribute,
        };
        Self {
            name: name.into(),
            kind: Some(kind),
            comparator: kind.comparator(),
            role,
            // Cities go with companies and people alike: a rare city says
            // little about whether two records are one person, but sharing
            // the capital where a third of all records live says even less.
            term_frequency: if kind == FieldKind::City {
                TermFrequency::OnlyLower
            } else {
                TermFrequency::On
            },
        }
    }

    /// A field compared by a caller's own comparator: an attribute, rare
    /// values weighing more and common ones less.
    pub fn custom(name: impl Into<String>, comparator: Arc<dyn Comparator>) -> Self {
        Self {
            name: name.into(),
            kind: None,
            comparator,
            role: FieldRole::Attribute,
            term_frequency: TermFrequency::On,
        }
    }

    /// Marks the field as naming the entity (a person's name): a level
    /// the comparator calls [`conflicting`](Comparator::conflicting) keeps
    /// two records out of one cluster, and contact values held by records
    /// whose names conflict count as shared (switchboards, role mailboxes).
    #[must_use]
    pub fn as_identity(mut self) -> Self {
        self.role = FieldRole::Identity;
        self
    }

    /// Marks the field as a contact detail that colleagues may share
    /// (e-mail, phone): its agreement weighs less when several distinct
    /// people hold the value, and is capped when the two records' names
    /// conflict.
    #[must_use]
    pub fn as_contact(mut self) -> Self {
        self.role = FieldRole::Contact;
        self
    }

    /// Every value of the field weighs the field's average (no
    /// term-frequency adjustment by how common the value is).
    #[must_use]
    pub fn without_term_frequency(mut self) -> Self {
        self.term_frequency = TermFrequency::Off;
        self
    }

    /// The column name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The built-in kind, or `None` for a caller's own comparator.
    pub fn kind(&self) -> Option<FieldKind> {
        self.kind
    }

    /// Replaces the comparator (keeps name and role).
    pub fn with_comparator(mut self, comparator: Arc<dyn Comparator>) -> Self {
        self.comparator = comparator;
        self.kind = None;
        self
    }

    fn is_name(&self) -> bool {
        matches!(
            self.kind,
            Some(FieldKind::PersonName | FieldKind::GivenName | FieldKind::Surname)
        )
    }
}

/// A blocking rule: records that share a key built from the blocking keys
/// of all listed fields (one key from each; a field listed twice takes two
/// different keys of that field) become candidate pairs.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub(crate) struct BlockingRule {
    /// Field indices into the profile.
    pub(crate) fields: Vec<usize>,
    /// Blocks of this rule larger than this are skipped (`None`: the run's
    /// [`Dedup::with_max_block_size`](super::Dedup::with_max_block_size)).
    pub(crate) max_block: Option<usize>,
}

/// Largest block of a rule on contact values alone (e-mail, phone): more
/// records than one person plausibly has means a shared value (a
/// switchboard, a role mailbox), whose pairs are colleagues.
pub(crate) const CONTACT_MAX_BLOCK: usize = 12;

impl BlockingRule {
    /// A rule over `fields` with the run's block cap.
    pub(crate) fn new(fields: Vec<usize>) -> Self {
        Self {
            fields,
            max_block: None,
        }
    }
}

/// A record-linkage profile: fields, blocking rules and the country used
/// for phone numbers.
///
/// ```
/// use sales_metrics::dedup::{FieldKind, FieldSpec, Profile};
/// let p = Profile::new(vec![
///     FieldSpec::new("full_name", FieldKind::PersonName),
///     FieldSpec::new("mail", FieldKind::Email),
/// ])?;
/// assert_eq!(p.fields().len(), 2);
/// assert_eq!(p.fields()[1].name(), "mail");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Profile {
    fields: Vec<FieldSpec>,
    rules: Vec<BlockingRule>,
    country_column: Option<String>,
    default_country: Option<String>,
}

/// At most this many fields per profile (evidence is kept in fixed-size
/// arrays per pair).
pub(crate) const MAX_FIELDS: usize = 24;

impl Profile {
    /// A profile over `fields`, with blocking rules derived from their
    /// kinds and roles: each e-mail, phone, id or date field alone; each
    /// person-name field with itself (two shared name tokens, any order);
    /// a given name with a surname; each name field with each other field
    /// (name and company, a name's initials and a phone number, …).
    ///
    /// # Errors
    /// No fields, more than 24, a repeated column name, or a
    /// comparator with fewer than 2 or more than 8 levels or default
    /// probabilities of the wrong length.
    pub fn new(fields: Vec<FieldSpec>) -> Result<Self> {
        if fields.is_empty() || fields.len() > MAX_FIELDS {
            return Err(Error::invalid(
                "dedup profile",
                format!("needs 1 to {MAX_FIELDS} fields, got {}", fields.len()),
            ));
        }
        for (i, f) in fields.iter().enumerate() {
            if fields.iter().take(i).any(|g| g.name == f.name) {
                return Err(Error::invalid(
                    "dedup profile",
                    format!("field {:?} is listed twice", f.name),
                ));
            }
            let levels = f.comparator.level_names().len();
            if !(2..=8).contains(&levels)
                || f.comparator.default_m().len() != levels
                || f.comparator.default_u().len() != levels
            {
                return Err(Error::invalid(
                    "dedup profile",
                    format!(
                        "comparator of field {:?} must have 2 to 8 levels and one default m and u per level",
                        f.name
                    ),
                ));
            }
        }
        let rules = Self::derive_rules(&fields);
        Ok(Self {
            fields,
            rules,
            country_column: None,
            default_country: None,
        })
    }

    /// The default prospect profile on SPEC §2's columns: `name` (person
    /// name, identity), `company`, `email` and `phone` (contacts), `city`;
    /// `country` gives each record's phone country. Blocking: e-mail,
    /// phone, two name tokens, name with company, a name's initials with
    /// phone or e-mail.
    pub fn prospect() -> Self {
        let fields = vec![
            FieldSpec::new("name", FieldKind::PersonName),
            FieldSpec::new("company", FieldKind::Company),
            FieldSpec::new("email", FieldKind::Email),
            FieldSpec::new("phone", FieldKind::Phone),
            FieldSpec::new("city", FieldKind::City),
        ];
        // Derived rules less name × city: on generated CRM data it found
        // almost no true pair the others missed, at a third more pairs to
        // score.
        let city = 4;
        let rules = Self::derive_rules(&fields)
            .into_iter()
            .filter(|r| r.fields != [0, city])
            .collect();
        Self {
            fields,
            rules,
            country_column: Some("country".to_owned()),
            default_country: None,
        }
    }

    /// Blocking rules derived from field kinds:
    /// * each e-mail, phone, id and date field alone (contact fields with
    ///   blocks capped at [`CONTACT_MAX_BLOCK`]);
    /// * each person-name field with itself (two shared name tokens, any
    ///   order), a given name with a surname (either way round);
    /// * each name field with each other field (name and company, name and
    ///   city, a name's initials and a phone number, …).
    pub(crate) fn derive_rules(fields: &[FieldSpec]) -> Vec<BlockingRule> {
        let mut rules = Vec::new();
        for (i, f) in fields.iter().enumerate() {
            if f.role == FieldRole::Contact {
                rules.push(BlockingRule {
                    fields: vec![i],
                    max_block: Some(CONTACT_MAX_BLOCK),
                });
            } else if matches!(
                f.kind,
                Some(FieldKind::Email | FieldKind::Phone | FieldKind::Id | FieldKind::Date)
            ) {
                rules.push(BlockingRule::new(vec![i]));
            }
        }
        let names: Vec<usize> = (0..fields.len())
            .filter(|&i| fields.get(i).is_some_and(FieldSpec::is_name))
            .collect();
        for &n in &names {
            if fields.get(n).and_then(|f| f.kind) == Some(FieldKind::PersonName) {
                rules.push(BlockingRule::new(vec![n, n]));
            }
        }
        for (x, &a) in names.iter().enumerate() {
            for &b in names.iter().skip(x + 1) {
                rules.push(BlockingRule::new(vec![a, b]));
            }
        }
        for &n in &names {
            for (g, f) in fields.iter().enumerate() {
                if !f.is_name() {
                    // With a contact field only the name's coarse keys
                    // (initials) pair with the contact value: a switchboard
                    // too shared to block on alone still meets the same
                    // person's initials.
                    rules.push(BlockingRule::new(vec![n, g]));
                }
            }
        }
        if rules.is_empty() {
            rules.extend((0..fields.len()).map(|i| BlockingRule::new(vec![i])));
        }
        rules
    }

    /// Adds a field (of a built-in kind or with a caller's
    /// [`Comparator`]) after the others, with the blocking rules derived
    /// for it (see [`Profile::new`]); the existing rules stay as they are.
    ///
    /// # Errors
    /// As [`Profile::new`]: a column already in the profile, more than 24
    /// fields, or a comparator with a wrong number of levels.
    pub fn with_field(mut self, field: FieldSpec) -> Result<Self> {
        let mut fields = self.fields.clone();
        fields.push(field);
        let checked = Profile::new(fields)?;
        let added = checked.fields.len() - 1;
        self.rules.extend(
            checked
                .rules
                .into_iter()
                .filter(|r| r.fields.contains(&added)),
        );
        self.fields = checked.fields;
        Ok(self)
    }

    /// Replaces the blocking rules: records that share a key built from
    /// one blocking key of each field a rule names (by column name; a
    /// field named twice takes two different keys of that field) become
    /// candidate pairs.
    ///
    /// ```
    /// use sales_metrics::dedup::{FieldKind, FieldSpec, Profile};
    ///
    /// let p = Profile::new(vec![
    ///     FieldSpec::new("name", FieldKind::PersonName),
    ///     FieldSpec::new("company", FieldKind::Company),
    /// ])?
    /// .with_blocking(&[&["name", "company"], &["name", "name"]])?;
    /// assert!(p.with_blocking(&[&["phone"]]).is_err());
    /// # Ok::<(), sales_metrics::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for no rules, an empty rule or one that
    /// names a column that is not a field of the profile.
    pub fn with_blocking(mut self, rules: &[&[&str]]) -> Result<Self> {
        let mut out = Vec::with_capacity(rules.len());
        for r in rules {
            let fields = r
                .iter()
                .map(|name| self.fields.iter().position(|f| f.name == *name))
                .collect::<Option<Vec<usize>>>()
                .filter(|f| !f.is_empty())
                .ok_or_else(|| {
                    Error::invalid(
                        "blocking rule",
                        format!("{r:?} names no field of the profile"),
                    )
                })?;
            out.push(BlockingRule::new(fields));
        }
        if out.is_empty() {
            return Err(Error::invalid(
                "blocking rules",
                "at least one rule is needed",
            ));
        }
        self.rules = out;
        Ok(self)
    }

    /// Sets the column holding each record's country (ISO 3166 alpha-2),
    /// used to normalise phone numbers.
    pub fn with_country_column(mut self, column: Option<String>) -> Self {
        self.country_column = column;
        self
    }

    /// Sets the country assumed when a record has none.
    pub fn with_default_country(mut self, country: Option<String>) -> Self {
        self.default_country = country;
        self
    }

    /// The fields.
    pub fn fields(&self) -> &[FieldSpec] {
        &self.fields
    }

    /// The blocking rules.
    pub(crate) fn rules(&self) -> &[BlockingRule] {
        &self.rules
    }

    /// The country column, if any.
    pub fn country_column(&self) -> Option<&str> {
        self.country_column.as_deref()
    }

    /// The default country, if any.
    pub fn default_country(&self) -> Option<&str> {
        self.default_country.as_deref()
    }

    /// A rule's name: its fields' column names joined by `+`.
    pub(crate) fn rule_name(&self, rule: &BlockingRule) -> String {
        rule.fields
            .iter()
            .filter_map(|&f| self.fields.get(f).map(|s| s.name.as_str()))
            .collect::<Vec<_>>()
            .join("+")
    }

    /// Index of the field that tells entities apart (whether a value is
    /// shared by several people): the first identity field.
    pub(crate) fn entity_field(&self) -> Option<usize> {
        self.fields
            .iter()
            .position(|f| f.role == FieldRole::Identity)
    }

    /// `(given, surname)` field indices when the profile has exactly one of
    /// each, so that swapped name parts can be recognised.
    pub(crate) fn name_parts(&self) -> Option<(usize, usize)> {
        let of = |k: FieldKind| {
            let mut it = self
                .fields
                .iter()
                .enumerate()
                .filter(move |(_, f)| f.kind == Some(k));
            match (it.next(), it.next()) {
                (Some((i, _)), None) => Some(i),
                _ => None,
            }
        };
        of(FieldKind::GivenName).zip(of(FieldKind::Surname))
    }
}
