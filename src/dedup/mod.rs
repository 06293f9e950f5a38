//! Record linkage over typed fields: which records denote the same entity
//! (SPEC §4: prospect records that are one person at one company).
//!
//! A record is a set of fields, each of a [`FieldKind`] with its own
//! normaliser and [`Comparator`] (a caller can add or replace kinds). A
//! [`Profile`] lists the fields and the blocking rules; the default
//! [`Profile::prospect`] maps SPEC §2's prospect columns. [`Dedup::run`]
//! then
//! 1. **normalises** every value once per record ([`normalize`]): Unicode
//!    folding, case, punctuation, name token order, company legal forms,
//!    e-mail `+tags`, phones to international digits, city aliases;
//! 2. **blocks**: records sharing a key of some [`BlockingRule`] become
//!    candidate pairs, oversized blocks are skipped (and counted), so work
//!    grows near-linearly;
//! 3. **scores** each candidate pair with graded agreement levels and
//!    Fellegi–Sunter weights (u estimated from random pairs, the prior by
//!    EM, term-frequency and shared-contact adjustments; see [`Model`]);
//! 4. **clusters** the pairs over the threshold without chaining (greedy
//!    from the strongest link, never joining records whose names
//!    conflict, with a size guard), naming each cluster by its smallest
//!    record id;
//! 5. keeps the **evidence** of every link inside a cluster.
//!
//! [`DedupIndex`] answers the same question one record at a time, as a CRM
//! needs when a rep types a new record, with the same answers as the batch
//! run on the same records and model.
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
//! [`eval`] scores a partition against truth: pairwise precision, recall
//! and F1; cluster-level (exact match of predicted to true clusters); and
//! blocking recall. `synth` (feature `sim`) generates realistic CRM
//! prospect data with truth. `tests/dedup_eval.rs` asserts the targets,
//! `examples/dedup_eval.rs` prints the figures and `benches/dedup.rs`
//! times the whole run and index lookups.
//!
//! # Example
//! ```
//! use sales_metrics::dedup::{Dedup, Table};
//!
//! let csv = "prospect_id,name,company,email,phone,city,country\n\
//!            p1,Ion Popescu,Alfa Construct SRL,ion.popescu@alfa.ro,0721 234 567,București,RO\n\
//!            p2,POPESCU ION,S.C. Alfa Construct S.R.L.,Ion.Popescu+crm@alfa.ro,+40 721 234 567,Bucharest,RO\n\
//!            p3,Maria Popescu,Alfa Construct,maria@alfa.ro,021 300 4000,Bucuresti,RO\n";
//! let table = Table::from_csv(csv.as_bytes(), "prospect_id")?;
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
pub mod compare;
mod data;
pub mod eval;
mod index;
pub mod normalize;
mod profile;
mod records;
mod score;
#[cfg(feature = "sim")]
pub mod synth;

use std::io::Write;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

pub use compare::{Comparator, Context, FieldKind};
pub use index::{DedupIndex, IndexMatch};
pub use profile::{
    BlockingRule, CONTACT_MAX_BLOCK, FieldRole, FieldSpec, MAX_FIELDS, Profile, TermFrequency,
};
pub use records::{Deduplicate, ProspectRecordRef, ProspectRecords};
pub use score::{FieldModel, MISSING, Model};

use crate::error::{Error, Result};
use crate::intern::TextColumn;
use crate::par;
use cluster::Link;
use data::{NormData, RecordStats, Stats};
use score::{Scorer, Uncounted};

/// Records to deduplicate: ids and values by column.
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

/// A table of text records (for example read from CSV), one id column and
/// any other columns.
#[derive(Debug, Clone, Default)]
pub struct Table {
    headers: Vec<String>,
    id_column: usize,
    columns: Vec<TextColumn>,
    rows: usize,
}

impl Table {
    /// An empty table with these column names; `id_column` names the id.
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
    /// Errors name the input `<memory>`; [`Table::from_csv_named`] names
    /// the file.
    ///
    /// # Errors
    /// As [`Table::from_csv_named`].
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
    /// use sales_metrics::dedup::Table;
    ///
    /// let err = Table::from_csv_named("id,name\n".as_bytes(), Path::new("people.csv"), "rec_id")
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
        let mut t = Table::new(headers, id_column)?;
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

impl RecordSource for Table {
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

/// How the model's probabilities are obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Estimation {
    /// The comparators' default m and u; only the prior is estimated.
    Defaults,
    /// u from random pairs of the data, the prior by EM over the candidate
    /// pairs, m from the comparators' defaults (robust to correlated
    /// fields).
    #[default]
    Unlabelled,
    /// As `Unlabelled`, then m re-estimated by EM over the candidate pairs
    /// for this many rounds (the classic Fellegi–Sunter/EM baseline).
    Em {
        /// EM rounds for m.
        rounds: usize,
    },
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
    /// How probabilities are obtained.
    pub estimation: Estimation,
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
            estimation: Estimation::Unlabelled,
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

    /// Uses a fixed model (for example one from an earlier run) instead of
    /// estimating one.
    pub fn with_model(mut self, model: Model) -> Self {
        self.model = Some(model);
        self
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
        self.run_prepared(ids, order, data, t0)
    }

    /// The run on normalised records already in id order.
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
                    keys.get(2..).unwrap_or(&[]),
                    &data,
                    x.2 as usize,
                    &data,
                    y.2 as usize,
                )
                .then(x.2.cmp(&y.2))
            })
        });
        let perm: Vec<u32> = keyed.into_iter().map(|(_, _, i)| i).collect();
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

        let mut model = match &self.model {
            Some(m) => m.clone(),
            None => {
                let mut m = Model::defaults(&self.profile, n);
                m.threshold = self.settings.threshold;
                m.shared_contact_cap = self.settings.shared_contact_cap;
                if self.settings.estimation != Estimation::Defaults {
                    score::estimate_u(
                        &self.profile,
                        &data,
                        &stats,
                        &mut m,
                        self.settings.u_sample_pairs,
                    );
                }
                m
            }
        };
        let t1 = Instant::now();
        let (pairs, bstats) =
            block::candidate_pairs(&self.profile, &data, self.settings.max_block_size);
        let t_block = t1.elapsed();

        let t2 = Instant::now();
        let nf = self.profile.fields().len();
        let scoring = Scoring {
            profile: &self.profile,
            stats: &stats,
            snapshot: &snapshot,
            data: &data,
            pairs: &pairs,
        };
        let totals_of = |model: &Model| scoring.all(model, |s| s.total);
        let mut totals = totals_of(&model);
        if self.model.is_none() {
            let before = model.prior_weight();
            score::estimate_prior(&mut model, n, &totals);
            if let Estimation::Em { rounds } = self.settings.estimation {
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
        let mut links: Vec<Link> = pairs
            .iter()
            .zip(&totals)
            .filter(|(_, t)| **t >= threshold_weight)
            .map(|(&p, &t)| Link {
                a: (p >> 32) as u32,
                b: (p & 0xffff_ffff) as u32,
                weight: t,
            })
            .collect();
        drop(totals);
        let linked_pairs = links.len() as u64;
        let t_score = t2.elapsed();

        let t3 = Instant::now();
        let scorer = Scorer::new(&self.profile, &model, &stats).with_snapshot(&snapshot);
        let veto = veto_fields(&self.profile);
        let (roots, cstats) = cluster::cluster(
            n,
            &mut links,
            self.settings.max_cluster_size.max(1),
            |x, y| {
                cannot_link(
                    &self.profile,
                    &veto,
                    &data,
                    x as usize,
                    y as usize,
                    &|r, f| snapshot.shared(r, f),
                )
            },
        );
        // Each cluster is named by its smallest id: the smallest id-order
        // index among its members.
        let mut min_id = vec![u32::MAX; n];
        for (k, &r) in roots.iter().enumerate() {
            let id_index = perm.get(k).copied().unwrap_or(u32::MAX);
            if let Some(m) = min_id.get_mut(r as usize) {
                *m = (*m).min(id_index);
            }
        }
        let mut roots_by_id = vec![0u32; n];
        for (k, &r) in roots.iter().enumerate() {
            if let (Some(&i), Some(&m)) = (perm.get(k), min_id.get(r as usize))
                && let Some(slot) = roots_by_id.get_mut(i as usize)
            {
                *slot = m;
            }
        }
        // Evidence of every link that ended inside one cluster.
        let inside: Vec<Link> = links
            .iter()
            .filter(|l| roots.get(l.a as usize) == roots.get(l.b as usize))
            .copied()
            .collect();
        let mut evidence: Vec<StoredLink> = par::map_chunks(&inside, 2048, |chunk| {
            chunk
                .iter()
                .map(|l| {
                    let s = scorer.score(&data, l.a as usize, &data, l.b as usize, Uncounted::None);
                    let ia = perm.get(l.a as usize).copied().unwrap_or(0);
                    let ib = perm.get(l.b as usize).copied().unwrap_or(0);
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
        let roots = roots_by_id;
        par::sort_by(&mut evidence, |x, y| {
            (roots.get(x.a as usize), x.a, x.b).cmp(&(roots.get(y.a as usize), y.a, y.b))
        });
        let mut sizes = vec![0u32; n];
        for &r in &roots {
            if let Some(s) = sizes.get_mut(r as usize) {
                *s += 1;
            }
        }
        let clusters = sizes.iter().filter(|&&s| s > 0).count() as u64;
        let largest = sizes.iter().copied().max().unwrap_or(0) as u64;
        let t_cluster = t3.elapsed();
        let stats_out = DedupStats {
            records: n as u64,
            candidate_pairs: pairs.len() as u64,
            linked_pairs,
            clusters,
            largest_cluster: largest,
            oversized_blocks: bstats.oversized_blocks,
            pairs_per_rule: bstats
                .pairs_per_rule
                .iter()
                .take(self.profile.rules().len())
                .copied()
                .collect(),
            merges_refused_conflict: cstats.refused_conflict,
            merges_refused_size: cstats.refused_size,
            prior: model.prior,
            timings: StageTimings {
                normalize: t_norm,
                block: t_block,
                score: t_score,
                cluster: t_cluster,
            },
        };
        Ok(DedupResult {
            ids,
            input_of_sorted: order,
            roots,
            evidence,
            fields: self
                .profile
                .fields()
                .iter()
                .map(|f| (f.name.clone(), f.comparator.level_names().to_vec()))
                .collect(),
            stats: stats_out,
            candidates: self.settings.keep_candidates.then(|| {
                let mut by_id: Vec<u64> = pairs
                    .iter()
                    .map(|&p| {
                        let a = u64::from(perm.get((p >> 32) as usize).copied().unwrap_or(0));
                        let b =
                            u64::from(perm.get((p & 0xffff_ffff) as usize).copied().unwrap_or(0));
                        (a.min(b) << 32) | a.max(b)
                    })
                    .collect();
                par::sort(&mut by_id);
                by_id
            }),
            model,
            data,
            internal_of_id: inv,
            value_stats: stats,
            snapshot,
            profile: self.profile.clone(),
        })
    }
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

/// Time spent per stage of a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageTimings {
    /// Sorting ids, normalising, value statistics.
    pub normalize: Duration,
    /// Candidate pairs.
    pub block: Duration,
    /// Scoring and estimation.
    pub score: Duration,
    /// Clustering and evidence.
    pub cluster: Duration,
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
    /// Pairs each blocking rule produced (up to the first 16 rules; a pair
    /// found by several rules counts for each).
    pub pairs_per_rule: Vec<u64>,
    /// Merges refused because two records' identities conflict.
    pub merges_refused_conflict: u64,
    /// Merges refused by the cluster size guard.
    pub merges_refused_size: u64,
    /// The prior match probability used.
    pub prior: f64,
    /// Time per stage.
    pub timings: StageTimings,
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
        let nf = self.fields.len();
        Some(pair_evidence(
            &self.fields,
            &self.model,
            self.ids.get(a).unwrap_or(""),
            self.ids.get(b).unwrap_or(""),
            s.total,
            s.levels.get(..nf).unwrap_or(&[]),
            s.weights.get(..nf).unwrap_or(&[]),
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

    /// The model used (reuse it with [`Dedup::with_model`] or
    /// [`DedupIndex::new`] for the same answers).
    pub fn model(&self) -> &Model {
        &self.model
    }

    fn sorted_index(&self, record_id: &str) -> Option<usize> {
        let (mut lo, mut hi) = (0usize, self.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match self
                .ids
                .get(mid)
                .unwrap_or("")
                .as_bytes()
                .cmp(record_id.as_bytes())
            {
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
        self.roots.iter().enumerate().map(|(i, &r)| {
            (
                self.ids.get(i).unwrap_or(""),
                self.ids.get(r as usize).unwrap_or(""),
            )
        })
    }

    /// A cluster label per input record, in input order: records with
    /// equal labels are one cluster (the label is the input position of
    /// the cluster's smallest-id record).
    pub fn labels(&self) -> Vec<u32> {
        let mut labels = vec![0u32; self.len()];
        for (sorted, &input) in self.input_of_sorted.iter().enumerate() {
            let root = self.roots.get(sorted).copied().unwrap_or(0);
            if let Some(l) = labels.get_mut(input as usize) {
                *l = self
                    .input_of_sorted
                    .get(root as usize)
                    .copied()
                    .unwrap_or(0);
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
            .get(start..)
            .unwrap_or(&[])
            .iter()
            .take_while(|e| self.roots.get(e.a as usize).copied() == Some(root))
            .map(|e| {
                let nf = self.fields.len();
                pair_evidence(
                    &self.fields,
                    &self.model,
                    self.ids.get(e.a as usize).unwrap_or(""),
                    self.ids.get(e.b as usize).unwrap_or(""),
                    e.total,
                    e.levels.get(..nf).unwrap_or(&[]),
                    e.weights.get(..nf).unwrap_or(&[]),
                )
            })
            .collect();
        out.sort_by(|x, y| y.total.total_cmp(&x.total));
        out
    }

    /// Every link inside a cluster, as evidence, clusters in id order.
    pub fn all_evidence(&self) -> impl Iterator<Item = PairEvidence> + '_ {
        self.evidence.iter().map(|e| {
            let nf = self.fields.len();
            pair_evidence(
                &self.fields,
                &self.model,
                self.ids.get(e.a as usize).unwrap_or(""),
                self.ids.get(e.b as usize).unwrap_or(""),
                e.total,
                e.levels.get(..nf).unwrap_or(&[]),
                e.weights.get(..nf).unwrap_or(&[]),
            )
        })
    }

    /// The candidate pairs as record ids, when the run kept them
    /// ([`DedupSettings::keep_candidates`]).
    pub fn candidate_pairs(&self) -> Option<impl Iterator<Item = (&str, &str)> + '_> {
        self.candidates.as_ref().map(|c| {
            c.iter().map(|&p| {
                (
                    self.ids.get((p >> 32) as usize).unwrap_or(""),
                    self.ids.get((p & 0xffff_ffff) as usize).unwrap_or(""),
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
    pub fn clusters_table(&self) -> crate::Table {
        use crate::table::{Cell, Table};
        let mut members: std::collections::BTreeMap<&str, Vec<&str>> =
            std::collections::BTreeMap::new();
        for (record, cluster) in self.partition() {
            members.entry(cluster).or_default().push(record);
        }
        let mut links: std::collections::BTreeMap<String, (u64, f64)> =
            std::collections::BTreeMap::new();
        for e in self.all_evidence() {
            let cluster = self.cluster_id(&e.left).unwrap_or(e.left.as_str());
            let entry = links.entry(cluster.to_owned()).or_insert((0, 1.0));
            entry.0 += 1;
            entry.1 = entry.1.min(e.probability);
        }
        let mut t = Table::new(&Self::CLUSTER_COLUMNS);
        for (cluster, ids) in members.iter().filter(|(_, ids)| ids.len() > 1) {
            let (n, weakest) = links.get(*cluster).copied().unwrap_or((0, f64::NAN));
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
    pub fn links_table(&self) -> crate::Table {
        let mut t = crate::Table::new(&Self::LINK_COLUMNS);
        let mut rows: Vec<(String, PairEvidence)> = self
            .all_evidence()
            .map(|e| {
                let cluster = self
                    .cluster_id(&e.left)
                    .unwrap_or(e.left.as_str())
                    .to_owned();
                (cluster, e)
            })
            .collect();
        rows.sort_by(|(a, x), (b, y)| a.cmp(b).then(y.total.total_cmp(&x.total)));
        for (cluster, e) in &rows {
            t.push(link_row(cluster, e));
        }
        t
    }

    /// Like [`DedupResult::links_table`], for the cluster named
    /// `cluster_id` only.
    pub fn cluster_links_table(&self, cluster_id: &str) -> crate::Table {
        let mut t = crate::Table::new(&Self::LINK_COLUMNS);
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
        crate::table::evcxr_show(
            &self
                .clusters_table()
                .html(Some(&self.caption()), Some(crate::Table::NOTEBOOK_ROWS)),
            &self.to_string(),
        );
    }
}

fn link_row(cluster: &str, e: &PairEvidence) -> Vec<crate::Cell> {
    use crate::table::Cell;
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
    pub fn table(&self) -> crate::Table {
        use crate::table::{Cell, Table};
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
        crate::table::evcxr_show(&self.to_html(), &self.to_string());
    }
}
