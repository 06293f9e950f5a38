//! Record linkage over typed fields: which records denote the same entity
//! (SPEC §4: prospect records that are one person at one company).
//!
//! A record is a set of fields, each of a [`FieldKind`] with its own
//! normaliser and [`Comparator`] (a caller can add or replace kinds). A
//! [`Profile`] lists the fields and the blocking rules; the default
//! [`Profile::prospect`] maps SPEC §2's prospect columns. Records come
//! from any [`RecordSource`]: a CSV file ([`CsvRecords`]), SPEC prospect
//! records, or a caller's own type. [`Dedup::run`] then
//! 1. **normalises** every value once per record: Unicode
//!    folding, case, punctuation, name token order, company legal forms,
//!    e-mail `+tags`, phones to international digits, city aliases;
//! 2. **blocks**: records sharing a key of some blocking rule become
//!    candidate pairs, oversized blocks are skipped (and counted), so work
//!    grows near-linearly;
//! 3. **scores** each candidate pair with graded agreement levels and
//!    Fellegi–Sunter weights (u estimated from random pairs, the prior by
//!    EM, term-frequency and shared-contact adjustments);
//! 4. **clusters** the pairs over the threshold without chaining (greedy
//!    from the strongest link, never joining records whose names
//!    conflict, with a size guard), naming each cluster by its smallest
//!    record id;
//! 5. keeps the **evidence** of every link inside a cluster
//!    ([`PairEvidence`], one [`FieldEvidence`] per field).
//!
//! [`DedupIndex`] answers the same question one record at a time, as a CRM
//! needs when a rep types a new record, with the same answers as the batch
//! run on the same records and model.
//!
//! # Extension points
//!
//! * [`Comparator`]: a field kind of the caller's own (normalise, compare
//!   to graded levels, blocking keys), added to a profile with
//!   [`FieldSpec::custom`] and [`Profile::with_field`];
//! * [`RecordSource`]: deduplicate a CRM's own record type in place;
//! * [`DedupIndex`]: check a record as it is typed against the known ones.
//!
//! # What CRM data needs beyond textbook Fellegi–Sunter
//!
//! * **Colleagues** share a company, its city, its switchboard and its
//!   role mailbox. A contact value held by records whose names conflict is
//!   *shared*: it names the organisation, so it adds at most a bit when the
//!   company already agrees (and stands in for a missing company
//!   otherwise), and disagreement with it is neutral. Two records whose
//!   names conflict, or that hold two personal mailboxes at one company
//!   domain, never join one cluster.
//! * **Namesakes**: a name's agreement weighs by how common it is (term
//!   frequencies), and disagreement on company, personal e-mail or mobile
//!   counts against the pair; another mailbox at the same company domain
//!   says "colleague".
//! * **Missing names**: without a name on both sides, no value shared by
//!   several people (their company, its switchboard) can tell which of them
//!   a record is.
//! * **Chaining**: clusters grow from the strongest link down and refuse
//!   merges that would put conflicting names together or exceed
//!   [`DedupSettings::max_cluster_size`].
//!
//! # Determinism
//!
//! Records are ordered by their own content and id (never by input
//! position), candidate pairs and links are sorted with ties broken by that
//! order, and random pair sampling is seeded: the partition does not depend
//! on input order or thread count (both are tested).
//!
//! # Measuring
//!
//! With feature `sim`, `sim::LinkageScores` scores a partition against
//! truth (pairwise precision, recall and F1; cluster-level, exact match of
//! predicted to true clusters; blocking recall) and `sim::CrmConfig`
//! generates realistic CRM prospect data with truth. `tests/dedup_eval.rs` asserts the targets,
//! `examples/dedup_eval.rs` prints the figures and `benches/dedup.rs`
//! times the whole run and index lookups.
//!
//! # Example
//! ```
//! use sales_metrics::dedup::{CsvRecords, Dedup};
//!
//! let csv = "prospect_id,name,company,email,phone,city,country\n\
//!            p1,Ion Popescu,Alfa Construct SRL,ion.popescu@alfa.ro,0721 234 567,București,RO\n\
//!            p2,POPESCU ION,S.C. Alfa Construct S.R.L.,Ion.Popescu+crm@alfa.ro,+40 721 234 567,Bucharest,RO\n\
//!            p3,Maria Popescu,Alfa Construct,maria@alfa.ro,021 300 4000,Bucuresti,RO\n";
//! let table = CsvRecords::from_csv(csv.as_bytes(), "prospect_id")?;
//! let result = Dedup::prospect().run(&table)?;
//! assert_eq!(result.cluster_id("p2"), Some("p1"));
//! assert_eq!(result.cluster_id("p3"), Some("p3"));
//! let why = result.evidence("p1");
//! assert_eq!(why.len(), 1);
//! assert!(why[0].probability >= why[0].threshold);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod block;
mod cluster;
mod compare;
mod data;
mod index;
mod normalize;
mod profile;
mod score;

use std::io::Write;
use std::time::Instant;

use chrono::TimeDelta;

use serde::{Deserialize, Serialize};

// The public surface of deduplication, one path per item.
pub use compare::{Comparator, Context, FieldKind};
pub use index::{DedupIndex, IndexMatch};
pub use profile::{FieldSpec, Profile};

#[cfg(feature = "sim")]
pub(crate) use normalize::folded;
use profile::{FieldRole, MAX_FIELDS};
use score::{MISSING, Model};

use crate::error::{Error, Result};
use crate::intern::TextColumn;
use crate::ledger::{Deduplicate, ProspectRecords};
use crate::par;
use cluster::Link;
use data::{NormData, RecordStats, Stats};
use score::{Scorer, Uncounted};

/// Records to deduplicate: ids and values by column.
///
/// Implemented for [`CsvRecords`] and for SPEC §2 prospect records
/// (`[ProspectRecord]`, `Vec<ProspectRecord>`, columns `name`, `company`,
/// `email`, `phone`, `city`, `country`). Implement it over a CRM's own
/// types to deduplicate them in place, without building CSV text: a
/// [`Profile`]'s fields name the columns they read, and
/// [`RecordSource::column`] maps those names onto the type's fields.
///
/// ```
/// use sales_metrics::dedup::{Dedup, FieldKind, FieldSpec, Profile, RecordSource};
///
/// /// A CRM's own lead type, nothing like SPEC's columns.
/// struct Lead {
///     id: String,
///     first: String,
///     last: String,
///     mail: Option<String>,
/// }
///
/// struct Leads(Vec<Lead>);
///
/// impl RecordSource for Leads {
///     fn len(&self) -> usize {
///         self.0.len()
///     }
///     fn id(&self, record: usize) -> &str {
///         &self.0[record].id
///     }
///     fn column(&self, name: &str) -> Option<usize> {
///         ["first", "last", "mail"].iter().position(|c| *c == name)
///     }
///     fn value(&self, record: usize, column: usize) -> Option<&str> {
///         let lead = self.0.get(record)?;
///         match column {
///             0 => Some(lead.first.as_str()),
///             1 => Some(lead.last.as_str()),
///             _ => lead.mail.as_deref(),
///         }
///         .filter(|v| !v.is_empty())
///     }
/// }
///
/// let lead = |id: &str, first: &str, last: &str, mail: Option<&str>| Lead {
///     id: id.into(),
///     first: first.into(),
///     last: last.into(),
///     mail: mail.map(String::from),
/// };
/// let leads = Leads(vec![
///     lead("L1", "Ana", "Marin", Some("ana.marin@delta.ro")),
///     lead("L2", "ANA", "MARIN", Some("Ana.Marin@Delta.ro")),
///     lead("L3", "Dan", "Marin", Some("dan@delta.ro")),
/// ]);
/// let profile = Profile::new(vec![
///     FieldSpec::new("first", FieldKind::GivenName),
///     FieldSpec::new("last", FieldKind::Surname),
///     FieldSpec::new("mail", FieldKind::Email),
/// ])?;
/// let result = Dedup::new(profile).run(&leads)?;
/// assert_eq!(result.cluster_id("L2"), Some("L1"));
/// assert_eq!(result.cluster_id("L3"), Some("L3"));
/// # Ok::<(), sales_metrics::Error>(())
/// ```
pub trait RecordSource: Sync {
    /// Number of records.
    fn len(&self) -> usize;
    /// Whether there are none.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The id of record `record` (unique).
    fn id(&self, record: usize) -> &str;
    /// The index of the column named `name`, if the source has it.
    fn column(&self, name: &str) -> Option<usize>;
    /// The value of `column` in `record` (`None` when absent or empty).
    fn value(&self, record: usize, column: usize) -> Option<&str>;
}

const PROSPECT_COLUMNS: [&str; 6] = ["name", "company", "email", "phone", "city", "country"];

impl RecordSource for ProspectRecords {
    fn len(&self) -> usize {
        ProspectRecords::len(self)
    }

    fn id(&self, record: usize) -> &str {
        self.get(record).map_or("", |r| r.prospect_id)
    }

    fn column(&self, name: &str) -> Option<usize> {
        PROSPECT_COLUMNS.iter().position(|c| *c == name)
    }

    fn value(&self, record: usize, column: usize) -> Option<&str> {
        let r = self.get(record)?;
        match column {
            0 => r.name,
            1 => r.company,
            2 => r.email,
            3 => r.phone,
            4 => r.city,
            5 => r.country,
            _ => None,
        }
        .filter(|s| !s.is_empty())
    }
}

fn prospect_value(r: &crate::model::ProspectRecord, column: usize) -> Option<&str> {
    match column {
        0 => r.name.as_deref(),
        1 => r.company.as_deref(),
        2 => r.email.as_deref(),
        3 => r.phone.as_deref(),
        4 => r.city.as_deref(),
        5 => r.country.as_deref(),
        _ => None,
    }
    .filter(|s| !s.is_empty())
}

impl RecordSource for [crate::model::ProspectRecord] {
    fn len(&self) -> usize {
        <[crate::model::ProspectRecord]>::len(self)
    }

    fn id(&self, record: usize) -> &str {
        self.get(record).map_or("", |r| r.prospect_id.as_str())
    }

    fn column(&self, name: &str) -> Option<usize> {
        PROSPECT_COLUMNS.iter().position(|c| *c == name)
    }

    fn value(&self, record: usize, column: usize) -> Option<&str> {
        self.get(record).and_then(|r| prospect_value(r, column))
    }
}

impl RecordSource for Vec<crate::model::ProspectRecord> {
    fn len(&self) -> usize {
        self.as_slice().len()
    }

    fn id(&self, record: usize) -> &str {
        RecordSource::id(self.as_slice(), record)
    }

    fn column(&self, name: &str) -> Option<usize> {
        RecordSource::column(self.as_slice(), name)
    }

    fn value(&self, record: usize, column: usize) -> Option<&str> {
        RecordSource::value(self.as_slice(), record, column)
    }
}

/// Text records read from CSV (or pushed row by row): one id column and
/// any other columns, by header name.
#[derive(Debug, Clone, Default)]
pub struct CsvRecords {
    headers: Vec<String>,
    id_column: usize,
    columns: Vec<TextColumn>,
    rows: usize,
}

impl CsvRecords {
    /// No records, with these column names; `id_column` names the id.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when `id_column` is not among `headers`.
    pub fn new(headers: Vec<String>, id_column: &str) -> Result<Self> {
        let id = headers.iter().position(|h| h == id_column).ok_or_else(|| {
            Error::invalid(
                "id column",
                format!("`{id_column}` is not among the columns {headers:?}"),
            )
        })?;
        Ok(Self {
            columns: vec![TextColumn::default(); headers.len()],
            headers,
            id_column: id,
            rows: 0,
        })
    }

    /// Appends a row (values in header order; missing trailing values are
    /// absent, extra values ignored).
    pub fn push_row<'a>(&mut self, values: impl IntoIterator<Item = &'a str>) {
        let mut it = values.into_iter();
        for c in &mut self.columns {
            c.push(it.next().filter(|v| !v.is_empty()));
        }
        self.rows += 1;
    }

    /// Reads CSV with a header row; `id_column` names the id column.
    /// Errors name the input `<memory>`; [`CsvRecords::from_csv_named`]
    /// names the file.
    ///
    /// # Errors
    /// As [`CsvRecords::from_csv_named`].
    pub fn from_csv<R: std::io::Read>(reader: R, id_column: &str) -> Result<Self> {
        Self::from_csv_named(reader, std::path::Path::new("<memory>"), id_column)
    }

    /// Reads CSV with a header row from `reader`, whose file `source_name`
    /// names in errors; `id_column` names the id column. Quoting is the
    /// csv crate's (RFC 4180), as for [`read_csv`](crate::ingest::read_csv).
    ///
    /// # Errors
    /// [`Error::Malformed`] naming `source_name` and the line and byte for
    /// invalid UTF-8 or a quoted field that is never closed (which would
    /// swallow the rest of the file); [`Error::MissingColumn`] naming
    /// `source_name` when the header has no `id_column`; [`Error::Io`]
    /// naming `source_name` when reading fails.
    ///
    /// # Example
    /// ```
    /// use std::path::Path;
    /// use sales_metrics::dedup::CsvRecords;
    ///
    /// let err = CsvRecords::from_csv_named("id,name\n".as_bytes(), Path::new("people.csv"), "rec_id")
    ///     .unwrap_err();
    /// assert_eq!(err.to_string(), "people.csv: missing required column `rec_id`");
    /// ```
    pub fn from_csv_named<R: std::io::Read>(
        reader: R,
        source_name: &std::path::Path,
        id_column: &str,
    ) -> Result<Self> {
        let mut rdr = crate::ingest::RecordReader::file(reader);
        let mut rec = csv::StringRecord::new();
        let headers: Vec<String> = match rdr.next(&mut rec, source_name)? {
            Some(_) => rec
                .iter()
                .map(|h| h.trim_start_matches('\u{feff}').to_owned())
                .collect(),
            None => Vec::new(),
        };
        if !headers.iter().any(|h| h == id_column) {
            return Err(Error::MissingColumn {
                path: source_name.to_owned(),
                column: id_column.to_owned(),
            });
        }
        let mut t = CsvRecords::new(headers, id_column)?;
        while rdr.next(&mut rec, source_name)?.is_some() {
            t.push_row(rec.iter());
        }
        Ok(t)
    }

    /// Column names.
    pub fn headers(&self) -> &[String] {
        &self.headers
    }
}

impl RecordSource for CsvRecords {
    fn len(&self) -> usize {
        self.rows
    }

    fn id(&self, record: usize) -> &str {
        self.columns
            .get(self.id_column)
            .and_then(|c| c.get(record))
            .unwrap_or("")
    }

    fn column(&self, name: &str) -> Option<usize> {
        self.headers.iter().position(|h| h == name)
    }

    fn value(&self, record: usize, column: usize) -> Option<&str> {
        self.columns.get(column).and_then(|c| c.get(record))
    }
}

/// Settings of a deduplication run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DedupSettings {
    /// Posterior match probability at or above which a pair links.
    pub threshold: f64,
    /// Blocks with more records than this are skipped.
    pub max_block_size: usize,
    /// No cluster grows beyond this many records (runaway guard).
    pub max_cluster_size: usize,
    /// Whether each field's u-probabilities (of each agreement level
    /// among non-matches) are estimated from random pairs of the data
    /// (default); with `false` the comparators' defaults are used. The
    /// prior match probability is always estimated, by EM over the
    /// candidate pairs.
    pub estimate_u: bool,
    /// Rounds of EM that re-estimate each field's m-probabilities (of each
    /// level among true matches) over the candidate pairs, the classic
    /// Fellegi–Sunter/EM baseline; 0 (default) keeps the comparators'
    /// defaults, which is robust to correlated fields.
    pub em_rounds: usize,
    /// Random pairs sampled to estimate u.
    pub u_sample_pairs: usize,
    /// Most bits a contact field adds when names conflict.
    pub shared_contact_cap: f64,
    /// Keep the candidate pairs in the result (for blocking recall).
    pub keep_candidates: bool,
}

impl Default for DedupSettings {
    fn default() -> Self {
        Self {
            threshold: 0.5,
            max_block_size: 50,
            max_cluster_size: 50,
            estimate_u: true,
            em_rounds: 0,
            u_sample_pairs: 100_000,
            shared_contact_cap: 1.0,
            keep_candidates: false,
        }
    }
}

/// Deduplication: a profile, settings and optionally a fixed model.
///
/// It implements the ledger's [`Deduplicate`] hook, so a ledger built with
/// [`ProspectIdentity::default()`](crate::ProspectIdentity) groups
/// prospect records with [`Dedup::prospect`].
#[derive(Debug, Clone)]
pub struct Dedup {
    profile: Profile,
    settings: DedupSettings,
    model: Option<Model>,
}

impl Default for Dedup {
    fn default() -> Self {
        Self::prospect()
    }
}

impl Dedup {
    /// Deduplication with `profile` and default settings.
    pub fn new(profile: Profile) -> Self {
        Self {
            profile,
            settings: DedupSettings::default(),
            model: None,
        }
    }

    /// Deduplication of prospect records with [`Profile::prospect`].
    pub fn prospect() -> Self {
        Self::new(Profile::prospect())
    }

    /// Replaces the settings.
    pub fn with_settings(mut self, settings: DedupSettings) -> Self {
        self.settings = settings;
        self
    }

    /// Uses the model an earlier run estimated (its weights, prior and
    /// threshold) instead of estimating one: the same pairs then get the
    /// same scores, in a later batch or in a [`DedupIndex`] built from
    /// this `Dedup`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when `run` had other fields (names or
    /// numbers of levels) than this profile: its weights would not fit.
    pub fn with_model_of(mut self, run: &DedupResult) -> Result<Self> {
        let fits = |a: &Profile, b: &Profile| {
            a.fields().len() == b.fields().len()
                && a.fields().iter().zip(b.fields()).all(|(x, y)| {
                    x.name == y.name
                        && x.comparator.level_names().len() == y.comparator.level_names().len()
                })
        };
        if !fits(&self.profile, &run.profile) {
            return Err(Error::invalid(
                "dedup model",
                "the run's profile has other fields than this one",
            ));
        }
        self.model = Some(run.model.clone());
        Ok(self)
    }

    /// Uses a fixed model.
    pub(crate) fn with_model(mut self, model: Model) -> Self {
        self.model = Some(model);
        self
    }

    /// The fixed model, if any.
    pub(crate) fn model(&self) -> Option<&Model> {
        self.model.as_ref()
    }

    /// The profile.
    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    /// The settings.
    pub fn settings(&self) -> &DedupSettings {
        &self.settings
    }

    /// Deduplicates `source`: normalise, block, score, cluster.
    ///
    /// # Errors
    /// A record with an empty id, or two records with the same id.
    pub fn run<S: RecordSource + ?Sized>(&self, source: &S) -> Result<DedupResult> {
        let t0 = Instant::now();
        let n = source.len();
        if n > u32::MAX as usize - 1 {
            return Err(Error::invalid("dedup input", "more than 2^32 - 2 records"));
        }
        // Sort by the ids' first eight bytes, then whole ids on ties: most
        // comparisons stay in one flat array.
        let prefix = |id: &str| {
            let mut k = [0u8; 8];
            for (slot, b) in k.iter_mut().zip(id.bytes()) {
                *slot = b;
            }
            u64::from_be_bytes(k)
        };
        let mut keyed: Vec<(u64, u32)> = (0..n as u32)
            .map(|r| (prefix(source.id(r as usize)), r))
            .collect();
        par::sort_by(&mut keyed, |a, b| {
            a.0.cmp(&b.0).then_with(|| {
                source
                    .id(a.1 as usize)
                    .as_bytes()
                    .cmp(source.id(b.1 as usize).as_bytes())
            })
        });
        let order: Vec<u32> = keyed.into_iter().map(|(_, r)| r).collect();
        let ids = sorted_ids(order.iter().map(|&r| source.id(r as usize)))?;
        let data = NormData::from_source(&self.profile, source, &order);
        if !data.text_fits(0) {
            return Err(too_much_text());
        }
        self.run_prepared(ids, order, data, t0)
    }

    /// The run on normalised records already in id order, in stages:
    /// locality order, the initial model, blocking, linking
    /// ([`Dedup::link`]), clustering ([`Dedup::clusters`]), the result.
    ///
    /// Internally records are reordered by [`locality_cmp`] (company, then
    /// name, then id), so that the records of a block lie near each other
    /// in memory: scoring a pair then mostly hits the cache. Results are
    /// mapped back to id order.
    pub(crate) fn run_prepared(
        &self,
        ids: TextColumn,
        order: Vec<u32>,
        data: NormData,
        t0: Instant,
    ) -> Result<DedupResult> {
        let n = data.len();
        let perm = self.locality_order(&data);
        let data = data.permuted(&perm);
        // `perm[internal]` is the id-order index; `inv` the reverse.
        let mut inv = vec![0u32; n];
        for (k, &i) in perm.iter().enumerate() {
            if let Some(slot) = inv.get_mut(i as usize) {
                *slot = k as u32;
            }
        }
        let stats = Stats::present_only(&self.profile, &data);
        let snapshot = RecordStats::of(&self.profile, &data);
        let t_norm = t0.elapsed();

        let model = self.initial_model(&data, &stats, n);
        let t1 = Instant::now();
        let (pairs, bstats) =
            block::candidate_pairs(&self.profile, &data, self.settings.max_block_size);
        let t_block = t1.elapsed();

        let t2 = Instant::now();
        let scoring = Scoring {
            profile: &self.profile,
            stats: &stats,
            snapshot: &snapshot,
            data: &data,
            pairs: &pairs,
        };
        let (model, mut links) = self.link(&scoring, model, n);
        let linked_pairs = links.len() as u64;
        let t_score = t2.elapsed();

        let t3 = Instant::now();
        let clustered = self.clusters(&scoring, &model, &mut links, &perm);
        let t_cluster = t3.elapsed();
        let stats_out = DedupStats {
            records: n as u64,
            candidate_pairs: pairs.len() as u64,
            linked_pairs,
            clusters: clustered.clusters,
            largest_cluster: clustered.largest,
            oversized_blocks: bstats.oversized_blocks,
            pairs_per_rule: self
                .profile
                .rules()
                .iter()
                .zip(&bstats.pairs_per_rule)
                .map(|(rule, &pairs)| (self.profile.rule_name(rule), pairs))
                .collect(),
            merges_refused_conflict: clustered.refused_conflict,
            merges_refused_size: clustered.refused_size,
            prior: model.prior,
            normalize_time: elapsed(t_norm),
            block_time: elapsed(t_block),
            score_time: elapsed(t_score),
            cluster_time: elapsed(t_cluster),
        };
        Ok(DedupResult {
            ids,
            input_of_sorted: order,
            roots: clustered.roots,
            evidence: clustered.evidence,
            fields: self
                .profile
                .fields()
                .iter()
                .map(|f| (f.name.clone(), f.comparator.level_names().to_vec()))
                .collect(),
            stats: stats_out,
            candidates: self
                .settings
                .keep_candidates
                .then(|| pairs_by_id(&pairs, &perm)),
            model,
            data,
            internal_of_id: inv,
            value_stats: stats,
            snapshot,
            profile: self.profile.clone(),
        })
    }

    /// The internal (locality) order of records in id order: `perm[k]` is
    /// the id-order index of the `k`-th record internally.
    fn locality_order(&self, data: &NormData) -> Vec<u32> {
        let n = data.len();
        let keys = locality_fields(&self.profile);
        let mut keyed: Vec<(u64, u64, u32)> = (0..n as u32)
            .map(|i| {
                let h = |k: usize| keys.get(k).map_or(0, |&f| data.hash(f, i as usize));
                (h(0), h(1), i)
            })
            .collect();
        // The first two locality fields from the flat keys; any further
        // ones (rare profiles) by `locality_cmp`.
        par::sort_by(&mut keyed, |x, y| {
            (x.0, x.1).cmp(&(y.0, y.1)).then_with(|| {
                locality_cmp(
                    keys.get(2..).unwrap_or_default(),
                    data,
                    x.2 as usize,
                    data,
                    y.2 as usize,
                )
                .then(x.2.cmp(&y.2))
            })
        });
        keyed.into_iter().map(|(_, _, i)| i).collect()
    }

    /// The model scoring starts from: the fixed one, else the comparators'
    /// defaults with the settings' threshold and cap, u estimated from
    /// random pairs unless switched off.
    fn initial_model(&self, data: &NormData, stats: &Stats, n: usize) -> Model {
        if let Some(m) = &self.model {
            return m.clone();
        }
        let mut m = Model::defaults(&self.profile, n);
        m.threshold = self.settings.threshold;
        m.shared_contact_cap = self.settings.shared_contact_cap;
        if self.settings.estimate_u {
            score::estimate_u(
                &self.profile,
                data,
                stats,
                &mut m,
                self.settings.u_sample_pairs,
            );
        }
        m
    }

    /// Scores every candidate pair; without a fixed model, first
    /// estimates the prior (and m, with EM rounds) from those scores.
    /// Returns the final model and the pairs at or over its threshold.
    fn link(&self, scoring: &Scoring<'_>, mut model: Model, n: usize) -> (Model, Vec<Link>) {
        let nf = self.profile.fields().len();
        let totals_of = |model: &Model| scoring.all(model, |s| s.total);
        let mut totals = totals_of(&model);
        if self.model.is_none() {
            let before = model.prior_weight();
            score::estimate_prior(&mut model, n, &totals);
            let rounds = self.settings.em_rounds;
            if rounds > 0 {
                let with_levels = scoring.all(&model, |s| (s.total, s.levels));
                score::estimate_m(&mut model, n, &with_levels, nf, rounds);
                totals = totals_of(&model);
            } else {
                let shift = model.prior_weight() - before;
                for t in &mut totals {
                    *t += shift;
                }
            }
        }
        let threshold_weight = model.threshold_weight();
        let links = scoring
            .pairs
            .iter()
            .zip(&totals)
            .filter(|(_, t)| **t >= threshold_weight)
            .map(|(&p, &t)| Link {
                a: (p >> 32) as u32,
                b: (p & 0xffff_ffff) as u32,
                weight: t,
            })
            .collect();
        (model, links)
    }

    /// Clusters the records from `links` (strongest first, never joining
    /// records that cannot link, within the size guard), names each
    /// cluster by its smallest id and keeps the evidence of every link
    /// inside a cluster; all in id order (`perm` maps internal to id
    /// order).
    fn clusters(
        &self,
        scoring: &Scoring<'_>,
        model: &Model,
        links: &mut [Link],
        perm: &[u32],
    ) -> Clustered {
        let (data, snapshot) = (scoring.data, scoring.snapshot);
        let n = data.len();
        let veto = veto_fields(&self.profile);
        let (roots, cstats) =
            cluster::cluster(n, links, self.settings.max_cluster_size.max(1), |x, y| {
                cannot_link(
                    &self.profile,
                    &veto,
                    data,
                    x as usize,
                    y as usize,
                    &|r, f| snapshot.shared(r, f),
                )
            });
        let roots = roots_by_id(&roots, perm);
        // Evidence of every link that ended inside one cluster.
        let scorer = Scorer::new(&self.profile, model, scoring.stats).with_snapshot(snapshot);
        let id_of = |k: u32| id_index(perm, k);
        let inside: Vec<Link> = links
            .iter()
            .filter(|l| roots.get(id_of(l.a) as usize) == roots.get(id_of(l.b) as usize))
            .copied()
            .collect();
        let mut evidence: Vec<StoredLink> = par::map_chunks(&inside, 2048, |chunk| {
            chunk
                .iter()
                .map(|l| {
                    let s = scorer.score(data, l.a as usize, data, l.b as usize, Uncounted::None);
                    let (ia, ib) = (id_of(l.a), id_of(l.b));
                    StoredLink {
                        a: ia.min(ib),
                        b: ia.max(ib),
                        total: s.total,
                        levels: s.levels,
                        weights: s.weights,
                    }
                })
                .collect::<Vec<_>>()
        })
        .into_iter()
        .flatten()
        .collect();
        par::sort_by(&mut evidence, |x, y| {
            (roots.get(x.a as usize), x.a, x.b).cmp(&(roots.get(y.a as usize), y.a, y.b))
        });
        let mut sizes = vec![0u32; n];
        for &r in &roots {
            if let Some(s) = sizes.get_mut(r as usize) {
                *s += 1;
            }
        }
        Clustered {
            clusters: sizes.iter().filter(|&&s| s > 0).count() as u64,
            // No records, no cluster: 0 is the size of the largest.
            largest: sizes.iter().copied().max().unwrap_or(0).into(),
            roots,
            evidence,
            refused_conflict: cstats.refused_conflict,
            refused_size: cstats.refused_size,
        }
    }
}

/// The clustering stage's output, in id order.
struct Clustered {
    /// Each record's cluster: the id-order index of its smallest id.
    roots: Vec<u32>,
    evidence: Vec<StoredLink>,
    clusters: u64,
    largest: u64,
    refused_conflict: u64,
    refused_size: u64,
}

/// The id-order index of internal record `k`.
#[allow(clippy::indexing_slicing)]
fn id_index(perm: &[u32], k: u32) -> u32 {
    // invariant: `perm` is a permutation of 0..n and every internal index
    // (of a link, a root, a candidate pair) is below n.
    debug_assert!((k as usize) < perm.len());
    perm[k as usize]
}

/// Cluster roots in id order, each cluster named by its smallest id (the
/// smallest id-order index among its members), from `roots` in internal
/// order.
fn roots_by_id(roots: &[u32], perm: &[u32]) -> Vec<u32> {
    let n = roots.len();
    let mut min_id = vec![u32::MAX; n];
    for (k, &r) in roots.iter().enumerate() {
        if let Some(m) = min_id.get_mut(r as usize) {
            *m = (*m).min(id_index(perm, k as u32));
        }
    }
    let mut by_id = vec![0u32; n];
    for (k, &r) in roots.iter().enumerate() {
        if let (Some(&m), Some(slot)) = (
            min_id.get(r as usize),
            by_id.get_mut(id_index(perm, k as u32) as usize),
        ) {
            *slot = m;
        }
    }
    by_id
}

/// Candidate pairs (internal indices packed `a << 32 | b`) as sorted
/// id-order pairs, smaller index first.
fn pairs_by_id(pairs: &[u64], perm: &[u32]) -> Vec<u64> {
    let mut by_id: Vec<u64> = pairs
        .iter()
        .map(|&p| {
            let a = u64::from(id_index(perm, (p >> 32) as u32));
            let b = u64::from(id_index(perm, (p & 0xffff_ffff) as u32));
            (a.min(b) << 32) | a.max(b)
        })
        .collect();
    par::sort(&mut by_id);
    by_id
}

/// What scoring every candidate pair of a run needs.
struct Scoring<'a> {
    profile: &'a Profile,
    stats: &'a Stats,
    snapshot: &'a RecordStats,
    data: &'a NormData,
    pairs: &'a [u64],
}

impl Scoring<'_> {
    /// Scores every candidate pair under `model`, keeping what `keep` takes
    /// from each score, in pair order.
    fn all<T: Send>(&self, model: &Model, keep: impl Fn(&score::PairScore) -> T + Sync) -> Vec<T> {
        let scorer = Scorer::new(self.profile, model, self.stats).with_snapshot(self.snapshot);
        par::map_chunks(self.pairs, 4096, |chunk| {
            chunk
                .iter()
                .map(|&p| {
                    keep(&scorer.score(
                        self.data,
                        (p >> 32) as usize,
                        self.data,
                        (p & 0xffff_ffff) as usize,
                        Uncounted::None,
                    ))
                })
                .collect::<Vec<_>>()
        })
        .into_iter()
        .flatten()
        .collect()
    }
}

/// The error for records whose normalised values exceed the 4 GiB that
/// `u32` offsets address.
pub(crate) fn too_much_text() -> Error {
    Error::invalid(
        "dedup input",
        "more than 4 GiB of normalised values: deduplicate in parts",
    )
}

/// Ids in byte order as a column; an empty or repeated id is an error.
pub(crate) fn sorted_ids<'a>(ids: impl Iterator<Item = &'a str>) -> Result<TextColumn> {
    let mut out = TextColumn::default();
    let mut prev: Option<&str> = None;
    for (pos, id) in ids.enumerate() {
        if id.is_empty() {
            return Err(Error::invalid(
                "dedup input",
                format!("record {} (in id order) has an empty id", pos + 1),
            ));
        }
        if prev == Some(id) {
            return Err(Error::invalid(
                "dedup input",
                format!("id {id:?} is used by more than one record"),
            ));
        }
        prev = Some(id);
        out.push(Some(id));
    }
    Ok(out)
}

/// The fields whose values order records for locality: company names,
/// then person names (given, surname, full), in profile order.
pub(crate) fn locality_fields(profile: &Profile) -> Vec<usize> {
    let rank = |k: Option<FieldKind>| match k {
        Some(FieldKind::Company) => Some(0),
        Some(FieldKind::Surname) => Some(1),
        Some(FieldKind::PersonName) => Some(2),
        Some(FieldKind::GivenName) => Some(3),
        _ => None,
    };
    let mut fields: Vec<(u8, usize)> = profile
        .fields()
        .iter()
        .enumerate()
        .filter_map(|(i, f)| rank(f.kind).map(|r| (r, i)))
        .collect();
    fields.sort_unstable();
    fields.into_iter().map(|(_, i)| i).collect()
}

/// The internal order of records: by the hashes of the values of `fields`
/// (absent first), ties left to the caller (record id order). It depends only on
/// the two records, so the incremental index orders a pair the same way.
pub(crate) fn locality_cmp(
    fields: &[usize],
    a: &NormData,
    i: usize,
    b: &NormData,
    j: usize,
) -> std::cmp::Ordering {
    // Value hashes group equal values as well as the values do, and
    // compare far faster; only grouping matters for locality.
    fields
        .iter()
        .map(|&f| a.hash(f, i).cmp(&b.hash(f, j)))
        .find(|o| o.is_ne())
        .unwrap_or(std::cmp::Ordering::Equal)
}

/// Fields that can keep two records apart: identity fields (names) and
/// contact fields (a personal work address against another one at the
/// same domain).
pub(crate) fn veto_fields(profile: &Profile) -> Vec<usize> {
    profile
        .fields()
        .iter()
        .enumerate()
        .filter(|(_, f)| matches!(f.role, FieldRole::Identity | FieldRole::Contact))
        .map(|(i, _)| i)
        .collect()
}

/// Whether records `x` and `y` must stay in different clusters: their
/// names conflict, or a contact field is at a conflicting level (another
/// mailbox at the same organisation's domain) with neither value shared
/// by several people nor a role mailbox (`shared(record, field)`).
pub(crate) fn cannot_link(
    profile: &Profile,
    fields: &[usize],
    data: &NormData,
    x: usize,
    y: usize,
    shared: &dyn Fn(usize, usize) -> bool,
) -> bool {
    fields.iter().any(|&f| {
        let (Some(a), Some(b)) = (data.value(f, x), data.value(f, y)) else {
            return false;
        };
        let Some(spec) = profile.fields().get(f) else {
            return false;
        };
        a != b
            && spec.comparator.conflicting(spec.comparator.compare(a, b))
            && (spec.role == FieldRole::Identity || !(shared(x, f) || shared(y, f)))
    })
}

impl Deduplicate for Dedup {
    fn group(&self, records: &ProspectRecords) -> Result<Vec<u32>> {
        Ok(self.run(records)?.labels())
    }
}

/// A stage's wall time as a length of time (saturating; a run never
/// takes 292 years).
fn elapsed(d: std::time::Duration) -> TimeDelta {
    TimeDelta::from_std(d).unwrap_or(TimeDelta::MAX)
}

/// Figures of a run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DedupStats {
    /// Records in.
    pub records: u64,
    /// Distinct candidate pairs scored.
    pub candidate_pairs: u64,
    /// Pairs at or over the threshold.
    pub linked_pairs: u64,
    /// Clusters out (singletons included).
    pub clusters: u64,
    /// Records in the largest cluster.
    pub largest_cluster: u64,
    /// Blocks skipped as larger than the cap.
    pub oversized_blocks: u64,
    /// Pairs each blocking rule produced, by rule (its fields joined by
    /// `+`, such as `name+company`), in the profile's order (up to the
    /// first 16 rules; a pair found by several rules counts for each).
    pub pairs_per_rule: Vec<(String, u64)>,
    /// Merges refused because two records' identities conflict.
    pub merges_refused_conflict: u64,
    /// Merges refused by the cluster size guard.
    pub merges_refused_size: u64,
    /// The prior match probability used.
    pub prior: f64,
    /// Wall time sorting ids, normalising and counting values.
    pub normalize_time: TimeDelta,
    /// Wall time finding candidate pairs.
    pub block_time: TimeDelta,
    /// Wall time scoring and estimating the model.
    pub score_time: TimeDelta,
    /// Wall time clustering and keeping evidence.
    pub cluster_time: TimeDelta,
}

#[derive(Debug, Clone)]
struct StoredLink {
    a: u32,
    b: u32,
    total: f64,
    levels: [u8; MAX_FIELDS],
    weights: [f32; MAX_FIELDS],
}

/// One field's part in a pair's score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldEvidence {
    /// Column name.
    pub field: String,
    /// Agreement level (`None` when a record lacks the field).
    pub level: Option<u8>,
    /// The level's name (`exact`, `close`, …; `missing`).
    pub level_name: String,
    /// Bits this field added (negative for disagreement).
    pub weight: f64,
}

/// Why two records were linked: every field's level and weight, the total
/// and the threshold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PairEvidence {
    /// One record's id (the smaller).
    pub left: String,
    /// The other record's id.
    pub right: String,
    /// Per field.
    pub fields: Vec<FieldEvidence>,
    /// Prior log-odds, bits.
    pub prior_weight: f64,
    /// Prior plus field weights, bits.
    pub total: f64,
    /// The threshold as a match weight, bits.
    pub threshold_weight: f64,
    /// Posterior match probability of the pair.
    pub probability: f64,
    /// The threshold as a probability.
    pub threshold: f64,
}

impl std::fmt::Display for PairEvidence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} ~ {}: p={:.4} (total {:+.2} bits, threshold {:+.2}; prior {:+.2})",
            self.left,
            self.right,
            self.probability,
            self.total,
            self.threshold_weight,
            self.prior_weight
        )?;
        for e in &self.fields {
            write!(f, "; {} {} {:+.2}", e.field, e.level_name, e.weight)?;
        }
        Ok(())
    }
}

pub(crate) fn pair_evidence(
    fields: &[(String, Vec<&'static str>)],
    model: &Model,
    left: &str,
    right: &str,
    total: f64,
    levels: &[u8],
    weights: &[f32],
) -> PairEvidence {
    PairEvidence {
        left: left.to_owned(),
        right: right.to_owned(),
        fields: fields
            .iter()
            .zip(levels.iter().zip(weights))
            .map(|((name, names), (&l, &w))| FieldEvidence {
                field: name.clone(),
                level: (l != MISSING).then_some(l),
                level_name: if l == MISSING {
                    "missing".to_owned()
                } else {
                    names.get(l as usize).copied().unwrap_or("?").to_owned()
                },
                weight: f64::from(w),
            })
            .collect(),
        prior_weight: model.prior_weight(),
        total,
        threshold_weight: model.threshold_weight(),
        probability: Model::probability(total),
        threshold: model.threshold,
    }
}

/// The outcome of [`Dedup::run`]: the partition, the evidence of every
/// link inside a cluster, figures and the model used.
#[derive(Debug, Clone)]
pub struct DedupResult {
    ids: TextColumn,
    input_of_sorted: Vec<u32>,
    roots: Vec<u32>,
    evidence: Vec<StoredLink>,
    fields: Vec<(String, Vec<&'static str>)>,
    stats: DedupStats,
    candidates: Option<Vec<u64>>,
    model: Model,
    /// Normalised records in internal (locality) order.
    data: NormData,
    /// Internal index of each record in id order.
    internal_of_id: Vec<u32>,
    value_stats: Stats,
    snapshot: RecordStats,
    profile: Profile,
}

impl DedupResult {
    /// Scores any two records of the run (linked or not) with the run's
    /// model and statistics: why they were, or were not, linked.
    pub fn explain(&self, left: &str, right: &str) -> Option<PairEvidence> {
        let (a, b) = (self.sorted_index(left)?, self.sorted_index(right)?);
        let (a, b) = (a.min(b), a.max(b));
        let (ka, kb) = (
            *self.internal_of_id.get(a)? as usize,
            *self.internal_of_id.get(b)? as usize,
        );
        let scorer = Scorer::new(&self.profile, &self.model, &self.value_stats)
            .with_snapshot(&self.snapshot);
        // Scored in internal order, as the run scored it.
        let s = scorer.score(
            &self.data,
            ka.min(kb),
            &self.data,
            ka.max(kb),
            Uncounted::None,
        );
        Some(pair_evidence(
            &self.fields,
            &self.model,
            self.id_at(a),
            self.id_at(b),
            s.total,
            &s.levels,
            &s.weights,
        ))
    }

    /// Approximate heap bytes held by the result (normalised records,
    /// statistics, partition, evidence), for memory figures.
    pub fn heap_bytes(&self) -> usize {
        self.ids.heap_bytes()
            + self.input_of_sorted.capacity() * 4
            + self.roots.capacity() * 4
            + self.evidence.capacity() * std::mem::size_of::<StoredLink>()
            + self.candidates.as_ref().map_or(0, |c| c.capacity() * 8)
            + self.data.heap_bytes()
            + self.internal_of_id.capacity() * 4
            + self.value_stats.heap_bytes()
            + self.snapshot.heap_bytes()
    }

    /// Whether two records were a candidate pair (only when the run kept
    /// candidates; `None` otherwise).
    pub fn is_candidate(&self, left: &str, right: &str) -> Option<bool> {
        let (a, b) = (self.sorted_index(left)?, self.sorted_index(right)?);
        let (a, b) = (a.min(b) as u64, a.max(b) as u64);
        self.candidates
            .as_ref()
            .map(|c| c.binary_search(&((a << 32) | b)).is_ok())
    }

    /// Number of records.
    pub fn len(&self) -> usize {
        self.roots.len()
    }

    /// Whether there were no records.
    pub fn is_empty(&self) -> bool {
        self.roots.is_empty()
    }

    /// Figures of the run.
    pub fn stats(&self) -> &DedupStats {
        &self.stats
    }

    /// The id-order index of the smallest id of record `i`'s cluster.
    #[allow(clippy::indexing_slicing)]
    fn root_of(&self, i: usize) -> usize {
        // invariant: `roots` holds one entry per record, and `i` is an
        // id-order index the result stored.
        debug_assert!(i < self.roots.len());
        self.roots[i] as usize
    }

    /// Every link inside a cluster, as evidence, with the cluster's id.
    fn cluster_evidence(&self) -> impl Iterator<Item = (&str, PairEvidence)> + '_ {
        self.evidence.iter().map(|e| {
            let cluster = self.id_at(self.root_of(e.a as usize));
            (cluster, self.evidence_of(e))
        })
    }

    fn evidence_of(&self, e: &StoredLink) -> PairEvidence {
        pair_evidence(
            &self.fields,
            &self.model,
            self.id_at(e.a as usize),
            self.id_at(e.b as usize),
            e.total,
            &e.levels,
            &e.weights,
        )
    }

    /// The id at id-order index `i`.
    fn id_at(&self, i: usize) -> &str {
        // invariant: every index the result stores (roots, evidence,
        // candidates) is an id-order index below `len()`.
        debug_assert!(i < self.ids.len());
        self.ids.get(i).unwrap_or_default()
    }

    fn sorted_index(&self, record_id: &str) -> Option<usize> {
        let (mut lo, mut hi) = (0usize, self.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match self.id_at(mid).as_bytes().cmp(record_id.as_bytes()) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Some(mid),
            }
        }
        None
    }

    /// The cluster id (smallest record id of the cluster) of a record.
    pub fn cluster_id(&self, record_id: &str) -> Option<&str> {
        let i = self.sorted_index(record_id)?;
        let root = *self.roots.get(i)?;
        self.ids.get(root as usize)
    }

    /// `(record_id, cluster_id)` for every record, in record id byte order.
    pub fn partition(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        self.roots
            .iter()
            .enumerate()
            .map(|(i, &r)| (self.id_at(i), self.id_at(r as usize)))
    }

    /// A cluster label per input record, in input order: records with
    /// equal labels are one cluster (the label is the input position of
    /// the cluster's smallest-id record).
    pub(crate) fn labels(&self) -> Vec<u32> {
        let mut labels = vec![0u32; self.len()];
        for (sorted, &input) in self.input_of_sorted.iter().enumerate() {
            let root = self.root_of(sorted);
            // invariant: `input_of_sorted` maps each of the `len()` id-order
            // indices to an input position below `len()`.
            debug_assert!(root < self.input_of_sorted.len() && (input as usize) < labels.len());
            #[allow(clippy::indexing_slicing)]
            {
                labels[input as usize] = self.input_of_sorted[root];
            }
        }
        labels
    }

    /// The record ids of the cluster named `cluster_id`, in byte order.
    pub fn members(&self, cluster_id: &str) -> Vec<&str> {
        let Some(root) = self.sorted_index(cluster_id) else {
            return Vec::new();
        };
        self.roots
            .iter()
            .enumerate()
            .filter(|(_, r)| **r as usize == root)
            .filter_map(|(i, _)| self.ids.get(i))
            .collect()
    }

    /// The evidence of every link inside the cluster named `cluster_id`
    /// (each pair over the threshold whose records ended in this cluster),
    /// strongest first.
    pub fn evidence(&self, cluster_id: &str) -> Vec<PairEvidence> {
        let Some(root) = self.sorted_index(cluster_id) else {
            return Vec::new();
        };
        let root = root as u32;
        let start = self
            .evidence
            .partition_point(|e| self.roots.get(e.a as usize).copied() < Some(root));
        let mut out: Vec<PairEvidence> = self
            .evidence
            .iter()
            .skip(start)
            .take_while(|e| self.roots.get(e.a as usize).copied() == Some(root))
            .map(|e| self.evidence_of(e))
            .collect();
        out.sort_by(|x, y| y.total.total_cmp(&x.total));
        out
    }

    /// Every link inside a cluster, as evidence, clusters in id order.
    pub fn all_evidence(&self) -> impl Iterator<Item = PairEvidence> + '_ {
        self.evidence.iter().map(|e| self.evidence_of(e))
    }

    /// The candidate pairs as record ids, when the run kept them
    /// ([`DedupSettings::keep_candidates`]).
    pub fn candidate_pairs(&self) -> Option<impl Iterator<Item = (&str, &str)> + '_> {
        self.candidates.as_ref().map(|c| {
            c.iter().map(|&p| {
                (
                    self.id_at((p >> 32) as usize),
                    self.id_at((p & 0xffff_ffff) as usize),
                )
            })
        })
    }

    /// Writes `id_header,cluster_id` rows (for example `record_id` or
    /// `prospect_id`), sorted by record id in byte order.
    ///
    /// # Errors
    /// [`Error::Write`] when writing fails ([`Error::in_file`] names the
    /// file).
    pub fn write_csv<W: Write>(&self, writer: W, id_header: &str) -> Result<()> {
        write_pairs_csv(writer, id_header, self.partition())
    }
}

fn write_pairs_csv<'a, W: Write>(
    writer: W,
    id_header: &str,
    rows: impl Iterator<Item = (&'a str, &'a str)>,
) -> Result<()> {
    let io = |e: csv::Error| Error::write("clusters CSV", e);
    let mut w = csv::Writer::from_writer(writer);
    w.write_record([id_header, "cluster_id"]).map_err(io)?;
    for (id, cluster) in rows {
        w.write_record([id, cluster]).map_err(io)?;
    }
    w.flush().map_err(|e| Error::write("clusters CSV", e))?;
    Ok(())
}

/// Notebook and table views of a run: which records were joined, and why.
impl DedupResult {
    /// Columns of [`DedupResult::clusters_table`].
    pub const CLUSTER_COLUMNS: [&'static str; 5] = [
        "cluster_id",
        "records",
        "members",
        "links",
        "weakest_probability",
    ];

    /// Columns of [`DedupResult::links_table`].
    pub const LINK_COLUMNS: [&'static str; 8] = [
        "cluster_id",
        "left",
        "right",
        "probability",
        "threshold",
        "total_bits",
        "threshold_bits",
        "fields",
    ];

    /// Every cluster of more than one record, in cluster id order: its
    /// size, members (space-separated, byte order), the number of links
    /// over the threshold inside it and the probability of the weakest.
    pub fn clusters_table(&self) -> crate::report::Table {
        use crate::report::table::{Cell, Table};
        let mut members: std::collections::BTreeMap<&str, Vec<&str>> =
            std::collections::BTreeMap::new();
        for (record, cluster) in self.partition() {
            members.entry(cluster).or_default().push(record);
        }
        let mut links: std::collections::BTreeMap<String, (u64, f64)> =
            std::collections::BTreeMap::new();
        for (cluster, e) in self.cluster_evidence() {
            let entry = links.entry(cluster.to_owned()).or_insert((0, 1.0));
            entry.0 += 1;
            entry.1 = entry.1.min(e.probability);
        }
        let mut t = Table::new(&Self::CLUSTER_COLUMNS);
        for (cluster, ids) in members.iter().filter(|(_, ids)| ids.len() > 1) {
            // invariant: records join a cluster only through a link, and
            // every link inside a cluster is kept as evidence.
            debug_assert!(links.contains_key(*cluster));
            #[allow(clippy::indexing_slicing)]
            let (n, weakest) = links[*cluster];
            t.push(vec![
                (*cluster).into(),
                (ids.len() as u64).into(),
                ids.join(" ").into(),
                n.into(),
                Cell::share(Some(weakest)),
            ]);
        }
        t
    }

    /// Every link inside a cluster (the evidence of SPEC §4), clusters in
    /// id order, strongest link first within a cluster: the pair, its match
    /// probability against the threshold, its weight in bits, and every
    /// field's agreement level and weight (`name exact +6.1 · email
    /// missing +0.0`).
    pub fn links_table(&self) -> crate::report::Table {
        let mut t = crate::report::Table::new(&Self::LINK_COLUMNS);
        let mut rows: Vec<(&str, PairEvidence)> = self.cluster_evidence().collect();
        rows.sort_by(|(a, x), (b, y)| a.cmp(b).then(y.total.total_cmp(&x.total)));
        for (cluster, e) in &rows {
            t.push(link_row(cluster, e));
        }
        t
    }

    /// Like [`DedupResult::links_table`], for the cluster named
    /// `cluster_id` only.
    pub fn cluster_links_table(&self, cluster_id: &str) -> crate::report::Table {
        let mut t = crate::report::Table::new(&Self::LINK_COLUMNS);
        for e in self.evidence(cluster_id) {
            t.push(link_row(cluster_id, &e));
        }
        t
    }

    fn caption(&self) -> String {
        let s = self.stats();
        let joined = self
            .partition()
            .filter(|(record, cluster)| record != cluster)
            .count();
        format!(
            "Deduplication: {} records in {} clusters ({joined} records joined to another; {} candidate pairs, {} links over the threshold)",
            s.records, s.clusters, s.candidate_pairs, s.linked_pairs
        )
    }

    /// The clusters of more than one record as an HTML table with the
    /// run's figures as caption; each cluster's links are in
    /// [`DedupResult::cluster_links_table`].
    pub fn to_html(&self) -> String {
        self.clusters_table().to_html_captioned(&self.caption())
    }

    /// Renders the clusters table in an evcxr notebook cell.
    pub fn evcxr_display(&self) {
        crate::report::table::evcxr_show(
            &self.clusters_table().html(
                Some(&self.caption()),
                Some(crate::report::Table::NOTEBOOK_ROWS),
            ),
            &self.to_string(),
        );
    }
}

fn link_row(cluster: &str, e: &PairEvidence) -> Vec<crate::report::Cell> {
    use crate::report::table::Cell;
    let fields = e
        .fields
        .iter()
        .map(|f| format!("{} {} {:+.1}", f.field, f.level_name, f.weight))
        .collect::<Vec<_>>()
        .join(" · ");
    vec![
        cluster.into(),
        e.left.as_str().into(),
        e.right.as_str().into(),
        Cell::share(Some(e.probability)),
        Cell::share(Some(e.threshold)),
        Cell::float(Some(e.total)),
        Cell::float(Some(e.threshold_weight)),
        fields.into(),
    ]
}

impl std::fmt::Display for DedupResult {
    /// The run's figures, then the clusters of more than one record.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "{}", self.caption())?;
        write!(f, "{}", self.clusters_table())
    }
}

impl PairEvidence {
    /// One row per field: `field`, `level`, `weight_bits`.
    pub fn table(&self) -> crate::report::Table {
        use crate::report::table::{Cell, Table};
        let mut t = Table::new(&["field", "level", "weight_bits"]);
        for e in &self.fields {
            t.push(vec![
                e.field.as_str().into(),
                e.level_name.as_str().into(),
                Cell::float(Some(e.weight)),
            ]);
        }
        t
    }

    fn caption(&self) -> String {
        format!(
            "{} ~ {}: match probability {:.1} % (threshold {:.1} %); {:+.2} bits = prior {:+.2} + fields (threshold {:+.2})",
            self.left,
            self.right,
            self.probability * 100.0,
            self.threshold * 100.0,
            self.total,
            self.prior_weight,
            self.threshold_weight
        )
    }

    /// The evidence as an HTML table of fields with the verdict as caption.
    pub fn to_html(&self) -> String {
        self.table().to_html_captioned(&self.caption())
    }

    /// Renders the evidence in an evcxr notebook cell.
    pub fn evcxr_display(&self) {
        crate::report::table::evcxr_show(&self.to_html(), &self.to_string());
    }
}
