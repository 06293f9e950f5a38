//! A batch run: settings, the stages of [`Dedup::run`] (locality order,
//! initial model, blocking, linking, clustering) and the rules they share
//! with the incremental index.

use std::time::Instant;

use chrono::TimeDelta;

use super::block;
use super::cluster::{self, Link};
use super::data::{NormData, RecordStats, Stats};
use super::profile::MAX_FIELDS;
use super::result::StoredLink;
use super::score::{self, Model, Scorer, Uncounted};
use super::{DedupResult, DedupStats, FieldKind, FieldRole, Profile, RecordSource};
use crate::error::{Error, Result};
use crate::intern::TextColumn;
use crate::par;

/// Settings of a deduplication run, set through [`Dedup`]'s `with_*`
/// methods (documented there).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DedupSettings {
    pub(crate) threshold: f64,
    pub(crate) max_block_size: usize,
    pub(crate) max_cluster_size: usize,
    pub(crate) estimate_u: bool,
    pub(crate) em_rounds: usize,
    pub(crate) u_sample_pairs: usize,
    pub(crate) shared_contact_cap: f64,
    pub(crate) keep_candidates: bool,
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
/// Settings start at their defaults and change with the `with_*`
/// methods, which take and return the `Dedup`:
///
/// | setting | default | method |
/// |---|---|---|
/// | match probability at or above which a pair links | 0.5 | [`with_threshold`](Dedup::with_threshold) |
/// | records per block before it is skipped | 50 | [`with_max_block_size`](Dedup::with_max_block_size) |
/// | records per cluster (runaway guard) | 50 | [`with_max_cluster_size`](Dedup::with_max_cluster_size) |
/// | u-probabilities estimated from random pairs | yes | [`without_u_estimation`](Dedup::without_u_estimation) |
/// | random pairs sampled to estimate u | 100 000 | [`with_u_sample_pairs`](Dedup::with_u_sample_pairs) |
/// | EM rounds re-estimating m-probabilities | 0 | [`with_em_rounds`](Dedup::with_em_rounds) |
/// | most bits a shared contact value adds | 1.0 | [`with_shared_contact_cap`](Dedup::with_shared_contact_cap) |
/// | candidate pairs kept in the result | no | [`with_candidate_pairs`](Dedup::with_candidate_pairs) |
///
/// A fixed model ([`with_model_of`](Dedup::with_model_of)) brings its own
/// threshold and estimates.
///
/// It implements the ledger's [`Deduplicate`](super::Deduplicate) hook:
/// a [`LedgerBuilder`](crate::LedgerBuilder) groups prospect records with
/// [`Dedup::prospect`] unless given another one with
/// [`deduplicate_with`](crate::LedgerBuilder::deduplicate_with).
///
/// # Example
/// ```
/// use sales_metrics::dedup::{CsvRecords, Dedup};
///
/// let records = CsvRecords::from_csv(
///     "prospect_id,name,company\n\
///      p1,Ion Popescu,Alfa SRL\n\
///      p2,Popescu Ion,Alfa S.R.L.\n"
///         .as_bytes(),
///     "prospect_id",
/// )?;
/// let strict = Dedup::prospect().with_threshold(0.99).with_candidate_pairs();
/// let result = strict.run(&records)?;
/// assert!(result.candidate_pairs().is_some());
/// # Ok::<(), sales_metrics::Error>(())
/// ```
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

    /// Sets the posterior match probability at or above which a pair
    /// links (default 0.5).
    pub fn with_threshold(mut self, probability: f64) -> Self {
        self.settings.threshold = probability;
        self
    }

    /// Skips blocks of more than `records` records (default 50): a key
    /// shared by that many records (a common surname, a switchboard
    /// number) finds no pairs; [`DedupStats::oversized_blocks`](super::DedupStats::oversized_blocks)
    /// counts them.
    pub fn with_max_block_size(mut self, records: usize) -> Self {
        self.settings.max_block_size = records;
        self
    }

    /// Lets no cluster grow beyond `records` records (default 50), a
    /// guard against runaway chaining;
    /// [`DedupStats::merges_refused_size`](super::DedupStats::merges_refused_size)
    /// counts the merges it refused.
    pub fn with_max_cluster_size(mut self, records: usize) -> Self {
        self.settings.max_cluster_size = records;
        self
    }

    /// Uses the comparators' default u-probabilities (of each agreement
    /// level among non-matches) instead of estimating them from random
    /// pairs of the data (the default). The prior match probability is
    /// always estimated, by EM over the candidate pairs.
    pub fn without_u_estimation(mut self) -> Self {
        self.settings.estimate_u = false;
        self
    }

    /// Samples `pairs` random pairs to estimate u (default 100 000).
    pub fn with_u_sample_pairs(mut self, pairs: usize) -> Self {
        self.settings.u_sample_pairs = pairs;
        self
    }

    /// Re-estimates each field's m-probabilities (of each level among
    /// true matches) by `rounds` rounds of EM over the candidate pairs,
    /// the classic Fellegi–Sunter/EM baseline; 0 (default) keeps the
    /// comparators' defaults, which is robust to correlated fields.
    pub fn with_em_rounds(mut self, rounds: usize) -> Self {
        self.settings.em_rounds = rounds;
        self
    }

    /// Sets the most bits a contact field adds when the records' names
    /// conflict, i.e. when its value is shared by several people
    /// (default 1.0).
    pub fn with_shared_contact_cap(mut self, bits: f64) -> Self {
        self.settings.shared_contact_cap = bits;
        self
    }

    /// Keeps the candidate pairs in the result
    /// ([`DedupResult::candidate_pairs`], to measure blocking recall).
    pub fn with_candidate_pairs(mut self) -> Self {
        self.settings.keep_candidates = true;
        self
    }

    /// Uses the model an earlier run estimated (its weights, prior and
    /// threshold) instead of estimating one: the same pairs then get the
    /// same scores, in a later batch or in a [`DedupIndex`](super::DedupIndex) built from
    /// this `Dedup`. The model's threshold and shared-contact cap then
    /// stand in for this `Dedup`'s, and nothing is estimated (u, prior,
    /// EM rounds); block and cluster sizes still apply.
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
    pub(crate) fn settings(&self) -> &DedupSettings {
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
        let (model, mut links, near) = self.link(&scoring, model, n);
        let linked_pairs = links.len() as u64;
        let t_score = t2.elapsed();

        let t3 = Instant::now();
        let clustered = self.clusters(&scoring, &model, &mut links, near.as_ref(), &perm);
        drop(near);
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
    /// Returns the final model, the pairs at or over its threshold and,
    /// unless EM changed the field weights, the scores of the pairs that
    /// could link (for their evidence).
    fn link(
        &self,
        scoring: &Scoring<'_>,
        mut model: Model,
        n: usize,
    ) -> (Model, Vec<Link>, Option<NearScores>) {
        let nf = self.profile.fields().len();
        let totals_of = |model: &Model| scoring.all(model, |s| s.total);
        let (mut totals, near) =
            scoring.totals_keeping(&model, model.threshold_weight() - NEAR_MARGIN_BITS);
        let mut near = Some(near);
        if self.model.is_none() {
            let before = model.prior_weight();
            score::estimate_prior(&mut model, n, &totals);
            let rounds = self.settings.em_rounds;
            if rounds > 0 {
                let with_levels = scoring.all(&model, |s| (s.total, s.levels));
                score::estimate_m(&mut model, n, &with_levels, nf, rounds);
                totals = totals_of(&model);
                // New m, new field weights: the kept scores are stale.
                near = None;
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
        (model, links, near)
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
        near: Option<&NearScores>,
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
        let scorer = Scorer::new(&self.profile, model, scoring.stats)
            .with_snapshot(snapshot)
            .with_tf_table();
        let id_of = |k: u32| id_index(perm, k);
        // Links inside one cluster, in the evidence's order (cluster, then
        // ids): the small keys are sorted, not the evidence itself.
        let mut keyed: Vec<(u64, u32, usize)> = links
            .iter()
            .enumerate()
            .filter_map(|(k, l)| {
                let (ia, ib) = (id_of(l.a), id_of(l.b));
                let root = roots.get(ia as usize);
                (root == roots.get(ib as usize)).then(|| {
                    let root = u64::from(root.copied().unwrap_or(u32::MAX));
                    ((root << 32) | u64::from(ia.min(ib)), ia.max(ib), k)
                })
            })
            .collect();
        par::sort(&mut keyed);
        let prior = model.prior_weight();
        let evidence: Vec<StoredLink> = par::map_chunks(&keyed, 2048, |chunk| {
            chunk
                .iter()
                .filter_map(|&(key, b, k)| {
                    let l = links.get(k)?;
                    let pair = (u64::from(l.a) << 32) | u64::from(l.b);
                    let (total, levels, weights) = match near.and_then(|s| s.get(pair)) {
                        Some((lv, w)) => kept_score(prior, lv, w),
                        None => {
                            let s = scorer.score(
                                data,
                                l.a as usize,
                                data,
                                l.b as usize,
                                Uncounted::None,
                            );
                            (s.total, s.levels, s.weights)
                        }
                    };
                    Some(StoredLink {
                        a: (key & 0xffff_ffff) as u32,
                        b,
                        total,
                        levels,
                        weights,
                    })
                })
                .collect::<Vec<_>>()
        })
        .into_iter()
        .flatten()
        .collect();
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
        let scorer = Scorer::new(self.profile, model, self.stats)
            .with_snapshot(self.snapshot)
            .with_tf_table();
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

    /// Every candidate pair's total under `model`, in pair order, and the
    /// scores of the pairs whose total is at least `keep_from`.
    fn totals_keeping(&self, model: &Model, keep_from: f64) -> (Vec<f64>, NearScores) {
        let nf = self.profile.fields().len().min(MAX_FIELDS);
        let scorer = Scorer::new(self.profile, model, self.stats)
            .with_snapshot(self.snapshot)
            .with_tf_table();
        let parts = par::map_chunks(self.pairs, 4096, |chunk| {
            let mut totals = Vec::with_capacity(chunk.len());
            let mut near = NearScores {
                nf,
                ..NearScores::default()
            };
            for &p in chunk {
                let s = scorer.score(
                    self.data,
                    (p >> 32) as usize,
                    self.data,
                    (p & 0xffff_ffff) as usize,
                    Uncounted::None,
                );
                totals.push(s.total);
                if s.total >= keep_from {
                    near.push(p, &s);
                }
            }
            (totals, near)
        });
        let mut totals = Vec::with_capacity(self.pairs.len());
        let mut near = NearScores {
            nf,
            ..NearScores::default()
        };
        for (t, k) in parts {
            totals.extend(t);
            near.append(k);
        }
        (totals, near)
    }
}

/// How far below the threshold's weight (bits) a pair's first score may
/// lie and still be kept for the evidence: the prior estimated from the
/// scores moves every total by the same amount, about log2 of twice the
/// matching pairs per record (+1.1 bits on generated CRM data; 4 bits
/// would take clusters of 17 records on average). Pairs not kept are
/// simply scored again, so the margin costs memory, never accuracy.
const NEAR_MARGIN_BITS: f64 = 4.0;

/// First-pass scores of the candidate pairs that may link, so that the
/// evidence of the links inside clusters need not run the comparators
/// again: per pair (sorted), its `nf` levels and field weights. The
/// weights do not depend on the prior, the only part of the model
/// estimated after that pass (without EM).
#[derive(Default)]
struct NearScores {
    nf: usize,
    pairs: Vec<u64>,
    levels: Vec<u8>,
    weights: Vec<f32>,
}

impl NearScores {
    /// Keeps `s` as the score of `pair` (pairs come in increasing order).
    fn push(&mut self, pair: u64, s: &score::PairScore) {
        self.pairs.push(pair);
        self.levels.extend(s.levels.iter().take(self.nf));
        self.weights.extend(s.weights.iter().take(self.nf));
    }

    /// Appends `other`, whose pairs all come after these.
    fn append(&mut self, mut other: NearScores) {
        self.pairs.append(&mut other.pairs);
        self.levels.append(&mut other.levels);
        self.weights.append(&mut other.weights);
    }

    /// The kept levels and weights of `pair`, if kept.
    fn get(&self, pair: u64) -> Option<(&[u8], &[f32])> {
        let k = self.pairs.binary_search(&pair).ok()?;
        let range = k * self.nf..(k + 1) * self.nf;
        Some((self.levels.get(range.clone())?, self.weights.get(range)?))
    }
}

/// A kept pair's total, levels and weights under a model with the prior
/// weight `prior`: summed exactly as [`Scorer::score`] sums them.
fn kept_score(prior: f64, lv: &[u8], w: &[f32]) -> (f64, [u8; MAX_FIELDS], [f32; MAX_FIELDS]) {
    let mut levels = [score::MISSING; MAX_FIELDS];
    let mut weights = [0.0f32; MAX_FIELDS];
    for (slot, &l) in levels.iter_mut().zip(lv) {
        *slot = l;
    }
    for (slot, &x) in weights.iter_mut().zip(w) {
        *slot = x;
    }
    let total = prior + w.iter().map(|&x| f64::from(x)).sum::<f64>();
    (total, levels, weights)
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

/// A stage's wall time as a length of time (saturating; a run never
/// takes 292 years).
fn elapsed(d: std::time::Duration) -> TimeDelta {
    TimeDelta::from_std(d).unwrap_or(TimeDelta::MAX)
}
