//! Fellegi–Sunter scoring: per field and agreement level a weight
//! `log2(m / u)`, where `m` is the level's probability among true matches
//! and `u` among non-matches, added to the prior log-odds of a match.
//!
//! Beyond the textbook model, three adjustments for CRM data:
//! * **Term frequencies**: exact agreement on a value weighs
//!   `log2(m / u_v)` with `u_v` the value's share of records, so a common
//!   name or a big company's name says less than a rare one.
//! * **Shared contacts**: a contact value held by records whose names
//!   conflict (a switchboard, a shared mailbox) or a role mailbox
//!   (`info@`) names an organisation, not a person: its agreement is
//!   capped at [`Model::shared_contact_cap`] bits and disagreement
//!   involving it is neutral (a person may give the switchboard once and a
//!   mobile once).
//! * **Conflicting identities**: when the two records' names conflict
//!   (`Ion Popescu` vs `Maria Popescu`), contact agreement is capped at
//!   [`Model::shared_contact_cap`] bits: colleagues share phones and
//!   mailboxes, the independence assumption behind summing weights does
//!   not hold there.

use serde::{Deserialize, Serialize};

use crate::rng::Rng;

use super::data::{NormData, RecordStats, Stats, ValueStat};
use super::profile::{FieldRole, MAX_FIELDS, Profile, TermFrequency};

/// The weights of one field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct FieldModel {
    /// Column name.
    pub(crate) name: String,
    /// Probability of each level among true matches.
    pub(crate) m: Vec<f64>,
    /// Probability of each level among non-matches.
    pub(crate) u: Vec<f64>,
}

impl FieldModel {
    /// The weight of `level` (`log2(m / u)`).
    #[allow(clippy::indexing_slicing)]
    pub(crate) fn weight(&self, level: u8) -> f64 {
        let l = level as usize;
        // invariant: `m` and `u` hold one probability per level of the
        // field's comparator (checked by `Profile::new`, kept by the
        // estimators, checked again by `Dedup::with_model_of`), and levels
        // are clamped to the comparator's last.
        debug_assert!(l < self.m.len() && l < self.u.len());
        let m = self.m[l].max(1e-9);
        let u = self.u[l].max(1e-9);
        (m / u).log2()
    }
}

/// A linkage model: field weights, the prior match probability and the
/// decision threshold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Model {
    /// Per field, in profile order.
    pub(crate) fields: Vec<FieldModel>,
    /// Probability that two records drawn at random match (λ).
    pub(crate) prior: f64,
    /// Posterior match probability at or above which a pair links.
    pub(crate) threshold: f64,
    /// Most bits a contact field may add when the records' identities
    /// conflict.
    pub(crate) shared_contact_cap: f64,
}

impl Model {
    /// The comparators' default probabilities, a prior of one duplicate per
    /// record among `records` and threshold 0.5.
    pub(crate) fn defaults(profile: &Profile, records: usize) -> Self {
        let n = records.max(2) as f64;
        Self {
            fields: profile
                .fields()
                .iter()
                .map(|f| FieldModel {
                    name: f.name.clone(),
                    m: normalized(f.comparator.default_m()),
                    u: normalized(f.comparator.default_u()),
                })
                .collect(),
            prior: 1.0 / (n - 1.0),
            threshold: 0.5,
            shared_contact_cap: 1.0,
        }
    }

    /// The prior log-odds in bits.
    pub(crate) fn prior_weight(&self) -> f64 {
        let p = self.prior.clamp(1e-15, 1.0 - 1e-12);
        (p / (1.0 - p)).log2()
    }

    /// The match weight (prior plus field weights, bits) of the threshold.
    pub(crate) fn threshold_weight(&self) -> f64 {
        let t = self.threshold.clamp(1e-9, 1.0 - 1e-9);
        (t / (1.0 - t)).log2()
    }

    /// The posterior probability of a match weight.
    pub(crate) fn probability(weight: f64) -> f64 {
        1.0 / (1.0 + (-weight).exp2())
    }
}

fn normalized(v: Vec<f64>) -> Vec<f64> {
    let s: f64 = v.iter().sum();
    if s > 0.0 {
        v.into_iter().map(|x| x / s).collect()
    } else {
        v
    }
}

/// The level of a field absent from either record (shown as `missing` in
/// evidence).
pub(crate) const MISSING: u8 = u8::MAX;

/// The score of one pair: each field's level and weight, and the total.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct PairScore {
    pub(crate) levels: [u8; MAX_FIELDS],
    pub(crate) weights: [f32; MAX_FIELDS],
    /// Prior plus field weights, bits.
    pub(crate) total: f64,
    /// Whether an identity field conflicts.
    pub(crate) conflict: bool,
}

/// Which record of a pair is a query not yet counted in the statistics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Uncounted {
    None,
    Left,
    Right,
}

/// Precomputed weights and the pieces of the profile scoring needs.
#[derive(Debug)]
pub(crate) struct Scorer<'a> {
    profile: &'a Profile,
    model: &'a Model,
    stats: &'a Stats,
    snapshot: Option<&'a RecordStats>,
    weights: Vec<Vec<f64>>,
    tops: Vec<u8>,
    roles: Vec<FieldRole>,
    tf: Vec<TermFrequency>,
    name_parts: Option<(usize, usize)>,
    identity: Option<usize>,
    /// Fields naming the organisation (company names).
    org_fields: Vec<usize>,
    prior: f64,
    /// Per field with term frequencies, [`Scorer::tf_weight`] of the
    /// counts below [`TF_TABLE`] among the records the statistics
    /// describe: the same numbers, without a logarithm per pair.
    tf_table: Vec<Vec<f64>>,
}

/// Value counts whose term-frequency weights [`Scorer`] tabulates.
const TF_TABLE: u32 = 1024;

/// One pair being scored: the two records, which side (if any) is a
/// query not yet counted in the statistics, and what every field asks.
struct Pair<'d> {
    a: &'d NormData,
    i: usize,
    b: &'d NormData,
    j: usize,
    plus_a: Option<(&'d NormData, usize)>,
    plus_b: Option<(&'d NormData, usize)>,
    /// The data the statistics describe.
    stats_data: &'d NormData,
    /// Per-record statistics, when both records are in them.
    snapshot: Option<&'d RecordStats>,
    /// Whether either record lacks the identity field (a name).
    identity_missing: bool,
}

impl Pair<'_> {
    /// The statistics of the value hashed `hash` in field `f`, with the
    /// uncounted query `plus` counted.
    #[inline]
    fn stat(
        &self,
        stats: &Stats,
        f: usize,
        hash: u64,
        plus: Option<(&NormData, usize)>,
    ) -> ValueStat {
        stats.get(f, hash, plus, self.stats_data)
    }
}

/// One field's part in a pair's score, before the cross-field stages.
struct FieldWeight {
    weight: f64,
    /// A shared contact value naming the organisation.
    shared_org: bool,
    /// An identity field at a conflicting level.
    conflict: bool,
}

impl<'a> Scorer<'a> {
    pub(crate) fn new(profile: &'a Profile, model: &'a Model, stats: &'a Stats) -> Self {
        let weights = model
            .fields
            .iter()
            .map(|f| (0..f.m.len()).map(|l| f.weight(l as u8)).collect())
            .collect();
        Self {
            profile,
            model,
            stats,
            snapshot: None,
            weights,
            tops: profile
                .fields()
                .iter()
                .map(|f| (f.comparator.level_names().len() as u8).saturating_sub(1))
                .collect(),
            roles: profile.fields().iter().map(|f| f.role).collect(),
            tf: profile.fields().iter().map(|f| f.term_frequency).collect(),
            name_parts: profile.name_parts(),
            identity: profile.entity_field(),
            org_fields: profile
                .fields()
                .iter()
                .enumerate()
                .filter(|(_, f)| f.kind == Some(super::FieldKind::Company))
                .map(|(i, _)| i)
                .collect(),
            prior: model.prior_weight(),
            tf_table: Vec::new(),
        }
    }

    /// Tabulates the term-frequency weights of common counts, for a
    /// scorer that scores many pairs (a batch run): a few thousand
    /// logarithms once instead of one or more per pair.
    pub(crate) fn with_tf_table(mut self) -> Self {
        self.tf_table = self.tf_tables();
        self
    }

    /// The term-frequency weights of counts below [`TF_TABLE`], per field
    /// (empty for fields without term frequencies).
    fn tf_tables(&self) -> Vec<Vec<f64>> {
        let nf = self.profile.fields().len().min(self.model.fields.len());
        (0..nf)
            .map(|f| {
                let on = self.tf.get(f).is_some_and(|&t| t != TermFrequency::Off)
                    && self.stats.present.get(f).is_some();
                if !on {
                    return Vec::new();
                }
                let (top, n) = (self.top(f), self.stats.present(f));
                (0..TF_TABLE)
                    .map(|c| self.tf_weight(f, top, c, n))
                    .collect()
            })
            .collect()
    }

    /// Uses per-record statistics of a batch (for pairs within that
    /// batch's data only).
    pub(crate) fn with_snapshot(mut self, snapshot: &'a RecordStats) -> Self {
        self.snapshot = Some(snapshot);
        self
    }

    #[allow(clippy::indexing_slicing)]
    fn base_weight(&self, f: usize, level: u8) -> f64 {
        // invariant: one weight per field and level (see
        // `FieldModel::weight`), f below the number of fields and `level`
        // clamped to the field's last level by `Scorer::level`.
        debug_assert!(f < self.weights.len() && (level as usize) < self.weights[f].len());
        self.weights[f][level as usize]
    }

    /// The highest (exact) level of field `f`.
    #[allow(clippy::indexing_slicing)]
    fn top(&self, f: usize) -> u8 {
        // invariant: `tops` has one entry per profile field, and callers
        // pass f < profile.fields().len().
        debug_assert!(f < self.tops.len());
        self.tops[f]
    }

    /// Levels of field `f` between record `i` of `a` and `j` of `b`.
    fn level(&self, f: usize, a: &NormData, i: usize, fb: usize, b: &NormData, j: usize) -> u8 {
        let (ha, hb) = (a.hash(f, i), b.hash(fb, j));
        // Hash 0 is an absent value: no text is read for it.
        if ha == 0 || hb == 0 {
            return MISSING;
        }
        let (Some(x), Some(y)) = (a.value(f, i), b.value(fb, j)) else {
            return MISSING;
        };
        if f == fb && ha == hb && x == y {
            return self.top(f);
        }
        // A caller's comparator may answer past its last level: that is
        // the last level (exact agreement), not an unweighted one.
        self.profile
            .fields()
            .get(f)
            .map_or(0, |s| s.comparator.compare(x, y))
            .min(self.top(f))
    }

    /// Scores record `i` of `a` against record `j` of `b`. With
    /// `Uncounted::Left`, record `i` is a query not yet in the statistics,
    /// and its value counts are taken as if it were.
    ///
    /// Stages: each field's level and weight ([`Scorer::field_weight`]),
    /// then the adjustments that look at several fields at once
    /// ([`Scorer::finish`]).
    pub(crate) fn score(
        &self,
        a: &NormData,
        i: usize,
        b: &NormData,
        j: usize,
        uncounted: Uncounted,
    ) -> PairScore {
        let nf = self.profile.fields().len().min(MAX_FIELDS);
        let mut s = PairScore {
            levels: [MISSING; MAX_FIELDS],
            weights: [0.0; MAX_FIELDS],
            total: self.prior,
            conflict: false,
        };
        // The query side (not yet in the statistics) and the data the
        // statistics describe.
        let (plus_a, plus_b, stats_data) = match uncounted {
            Uncounted::None => (None, None, a),
            Uncounted::Left => (Some((a, i)), None, b),
            Uncounted::Right => (None, Some((b, j)), a),
        };
        let pair = Pair {
            a,
            i,
            b,
            j,
            plus_a,
            plus_b,
            stats_data,
            snapshot: self.snapshot.filter(|_| uncounted == Uncounted::None),
            // A value is absent exactly when its hash is 0: no text read.
            identity_missing: self
                .identity
                .is_some_and(|id| a.hash(id, i) == 0 || b.hash(id, j) == 0),
        };
        let mut shared_org: u32 = 0;
        for f in 0..nf {
            let level = self.level(f, a, i, f, b, j);
            if let Some(l) = s.levels.get_mut(f) {
                *l = level;
            }
            if level == MISSING {
                continue;
            }
            let fw = self.field_weight(&pair, f, level);
            if fw.shared_org {
                shared_org |= 1 << f;
            }
            s.conflict |= fw.conflict;
            if let Some(slot) = s.weights.get_mut(f) {
                *slot = fw.weight as f32;
            }
        }
        self.finish(&mut s, &pair, shared_org, nf);
        s
    }

    /// The weight of field `f` at `level` (not missing) for one pair:
    /// the level's weight, adjusted by how common an agreeing value is
    /// (term frequencies) and by whether a value is shared by several
    /// people.
    #[inline]
    #[allow(clippy::indexing_slicing)]
    fn field_weight(&self, p: &Pair<'_>, f: usize, level: u8) -> FieldWeight {
        // invariant: `roles` and `tf` have one entry per profile field and
        // f < profile.fields().len() (the caller's loop bound).
        debug_assert!(f < self.roles.len() && f < self.tf.len());
        let (role, tf_mode) = (self.roles[f], self.tf[f]);
        let top = self.top(f);
        let spec = self.profile.fields().get(f);
        let generic =
            |v: Option<&str>| v.is_some_and(|v| spec.is_some_and(|sp| sp.comparator.is_generic(v)));
        let mut w = self.base_weight(f, level);
        let ha = p.a.hash(f, p.i);
        let tf = tf_mode != TermFrequency::Off;
        let contact = role == FieldRole::Contact;
        let cap = self.model.shared_contact_cap;
        let mut shared_org = false;
        // The value's statistics at exact agreement (both records hold
        // it; a query not yet counted is counted).
        let mut top_stat: Option<(u32, bool)> = None;
        if level == top && (tf || contact) {
            top_stat = Some(match p.snapshot {
                Some(snap) => (snap.count(p.i, f), snap.shared(p.i, f)),
                None => {
                    let st = p.stat(self.stats, f, ha, p.plus_a.or(p.plus_b));
                    (
                        st.count,
                        st.shared || (contact && generic(p.a.value(f, p.i))),
                    )
                }
            });
        }
        if let (true, Some((count, _))) = (tf, top_stat) {
            let n = self.stats.present(f) + u64::from(p.plus_a.or(p.plus_b).is_some());
            if count > 0 {
                let tabulated = match p.plus_a.or(p.plus_b) {
                    None => self.tf_table.get(f).and_then(|t| t.get(count as usize)),
                    Some(_) => None,
                };
                let w_tf = match tabulated {
                    Some(&w) => w,
                    None => self.tf_weight(f, top, count, n),
                };
                w = if tf_mode == TermFrequency::OnlyLower {
                    w.min(w_tf)
                } else {
                    w_tf
                };
            }
        }
        // Whether either value is held by people whose names conflict
        // (a switchboard, a shared mailbox, a company of several
        // contacts) or is a role mailbox; only asked when the answer
        // can change the weight.
        let matters =
            (contact || (tf && p.identity_missing)) && ((level < top && w < 0.0) || w > cap);
        if matters {
            let any_shared = match (top_stat, p.snapshot) {
                (Some((_, sh)), _) => sh,
                (None, Some(snap)) => snap.shared(p.i, f) || snap.shared(p.j, f),
                (None, None) => {
                    (contact && (generic(p.a.value(f, p.i)) || generic(p.b.value(f, p.j))))
                        || p.stat(self.stats, f, ha, p.plus_a).shared
                        || p.stat(self.stats, f, p.b.hash(f, p.j), p.plus_b).shared
                }
            };
            if any_shared {
                if level < top && w < 0.0 {
                    // Disagreement with a shared value is neutral: a
                    // person may give the switchboard once and a mobile
                    // once.
                    w = 0.0;
                } else if contact && !p.identity_missing {
                    // A shared contact value names an organisation, not
                    // a person: decided in `finish`, once it is known
                    // whether the company already said so.
                    shared_org = true;
                } else {
                    // Without names on both sides, no value shared by
                    // several people can tell which of them a record is.
                    w = w.min(cap);
                }
            }
        }
        FieldWeight {
            weight: w,
            shared_org,
            conflict: role == FieldRole::Identity
                && spec.is_some_and(|sp| sp.comparator.conflicting(level)),
        }
    }

    /// The weight of exact agreement on a value `count` of the `n` records
    /// hold: the share of records other than this one holding the value
    /// is the chance a non-matching record agrees. The field's average u
    /// counts as `TF_PRIOR_RECORDS` records, so that a handful of records
    /// does not make every value look common.
    #[inline]
    #[allow(clippy::indexing_slicing)]
    fn tf_weight(&self, f: usize, top: u8, count: u32, n: u64) -> f64 {
        // invariant: the model has one `FieldModel` per profile field, each
        // with one m and u per level (see `FieldModel::weight`).
        debug_assert!(f < self.model.fields.len());
        let fm = &self.model.fields[f];
        let (m_top, u_top) = (fm.m[top as usize], fm.u[top as usize]);
        let others = (f64::from(count) - 1.0).max(0.5);
        let share = (others + TF_PRIOR_RECORDS * u_top) / (n as f64 + TF_PRIOR_RECORDS);
        (m_top.max(1e-9) / share.min(1.0)).log2()
    }

    /// The adjustments that look at several fields: swapped given name and
    /// surname, contact weights capped when names conflict, organisation
    /// evidence counted once; then the total.
    fn finish(&self, s: &mut PairScore, p: &Pair<'_>, shared_org: u32, nf: usize) {
        if let Some((g, sn)) = self.name_parts {
            self.try_swapped_names(s, g, sn, p.a, p.i, p.b, p.j);
        }
        if s.conflict {
            for (f, role) in self.roles.iter().enumerate().take(nf) {
                if *role == FieldRole::Contact
                    && let Some(w) = s.weights.get_mut(f)
                {
                    *w = w.min(self.model.shared_contact_cap as f32);
                }
            }
        }
        if shared_org != 0 {
            // Organisation evidence counts once: a shared switchboard or
            // mailbox adds little when the company already agrees, but
            // stands in for the company when that is missing or differs.
            let org_agrees = self
                .org_fields
                .iter()
                .any(|&f| s.levels.get(f).is_some_and(|&l| l != MISSING && l > 0));
            if org_agrees {
                let cap = self.model.shared_contact_cap;
                for (f, w) in s.weights.iter_mut().enumerate().take(nf) {
                    if shared_org & (1 << f) != 0 {
                        *w = w.min(cap as f32);
                    }
                }
            }
        }
        s.total += s
            .weights
            .iter()
            .take(nf)
            .map(|&w| f64::from(w))
            .sum::<f64>();
    }

    /// Given name and surname swapped between the records: use the swapped
    /// comparison when it explains the pair better.
    #[allow(clippy::too_many_arguments)]
    fn try_swapped_names(
        &self,
        s: &mut PairScore,
        g: usize,
        sn: usize,
        a: &NormData,
        i: usize,
        b: &NormData,
        j: usize,
    ) {
        let lg = self.level(g, a, i, sn, b, j);
        let ls = self.level(sn, a, i, g, b, j);
        if lg == MISSING || ls == MISSING {
            return;
        }
        // invariant: g and sn are fields of the profile, at most
        // MAX_FIELDS (the arrays' length).
        debug_assert!(g < MAX_FIELDS && sn < MAX_FIELDS);
        #[allow(clippy::indexing_slicing)]
        let straight = s.weights[g] + s.weights[sn];
        let wg = self.base_weight(g, lg) as f32;
        let ws = self.base_weight(sn, ls) as f32;
        if wg + ws > straight + 1.0 {
            for (f, l, w) in [(g, lg, wg), (sn, ls, ws)] {
                if let Some(x) = s.levels.get_mut(f) {
                    *x = l;
                }
                if let Some(x) = s.weights.get_mut(f) {
                    *x = w;
                }
            }
        }
    }
}

/// Weight, in records, of a field's average u against the records' own
/// value counts in term-frequency weights.
const TF_PRIOR_RECORDS: f64 = 1000.0;

/// Weight, in pairs, of a comparator's default u against pairs sampled
/// from the data.
const U_PRIOR_PAIRS: f64 = 2000.0;

/// Estimates each field's u-probabilities from pairs of records drawn at
/// random (all pairs when there are few): almost all such pairs are
/// non-matches. Levels never seen get half an observation, so that no
/// weight is infinite.
pub(crate) fn estimate_u(
    profile: &Profile,
    data: &NormData,
    stats: &Stats,
    model: &mut Model,
    samples: usize,
) {
    let n = data.len();
    if n < 2 {
        return;
    }
    let total_pairs = (n as u64) * (n as u64 - 1) / 2;
    let mut pairs: Vec<(u32, u32)> = if total_pairs <= samples as u64 {
        (0..n as u32)
            .flat_map(|i| (i + 1..n as u32).map(move |j| (i, j)))
            .collect()
    } else {
        let mut rng = Rng::from_state(0x0dd5_eed5 ^ n as u64);
        (0..samples)
            .filter_map(|_| {
                let i = rng.below(n as u64) as u32;
                let j = rng.below(n as u64) as u32;
                (i != j).then_some((i.min(j), i.max(j)))
            })
            .collect()
    };
    // In record order, so that one side of consecutive pairs is read from
    // nearby memory; the counts are sums, the same in any order.
    pairs.sort_unstable();
    let scorer = Scorer::new(profile, model, stats);
    let nf = profile.fields().len();
    let counts = crate::par::fold_chunks(
        &pairs,
        8192,
        || vec![0u64; nf * 8],
        |mut acc, &(i, j)| {
            for f in 0..nf {
                let l = scorer.level(f, data, i as usize, f, data, j as usize);
                if l != MISSING
                    && let Some(c) = acc.get_mut(f * 8 + l as usize)
                {
                    *c += 1;
                }
            }
            acc
        },
        |mut a, b| {
            for (x, y) in a.iter_mut().zip(b) {
                *x += y;
            }
            a
        },
    );
    for (f, fm) in model.fields.iter_mut().enumerate() {
        let Some(cmp) = profile.fields().get(f).map(|s| &s.comparator) else {
            continue;
        };
        let levels = fm.u.len();
        let estimated: Vec<bool> = (0..levels).map(|l| cmp.estimated(l as u8)).collect();
        let fixed_mass: f64 =
            fm.u.iter()
                .zip(&estimated)
                .filter(|(_, e)| !**e)
                .map(|(u, _)| u)
                .sum();
        // The comparator's default u counts as `U_PRIOR_PAIRS` pairs, so
        // that small data (where duplicates are a large share of all pairs)
        // does not overrule it, and unseen levels get no infinite weight.
        let defaults = cmp.default_u();
        let c: Vec<f64> = (0..levels)
            .map(|l| {
                counts.get(f * 8 + l).copied().unwrap_or(0) as f64
                    + U_PRIOR_PAIRS * defaults.get(l).copied().unwrap_or(0.0)
                    + 0.5
            })
            .collect();
        let total: f64 = c
            .iter()
            .zip(&estimated)
            .filter(|(_, e)| **e)
            .map(|(c, _)| c)
            .sum();
        if total > 0.0 {
            for ((u, c), e) in fm.u.iter_mut().zip(c).zip(&estimated) {
                if *e {
                    *u = c / total * (1.0 - fixed_mass);
                }
            }
        }
    }
}

/// Re-estimates the prior λ by expectation–maximisation over the
/// candidate pairs' match weights (`totals`, computed with the model's
/// current prior): λ is the expected number of matches over all pairs of
/// records, pairs that blocking never brings together being taken as
/// non-matches. Field weights stay fixed.
pub(crate) fn estimate_prior(model: &mut Model, records: usize, totals: &[f64]) {
    let n = records as f64;
    let total_pairs = (n * (n - 1.0) / 2.0).max(1.0);
    let base = model.prior_weight();
    // Field evidence per pair; pairs far below any plausible threshold add
    // nothing to the expectation and are left out.
    let evidence: Vec<f64> = totals
        .iter()
        .map(|t| t - base)
        .filter(|w| w + base > -40.0)
        .collect();
    for _ in 0..100 {
        let prior = model.prior_weight();
        let expected: f64 = evidence.iter().map(|w| Model::probability(w + prior)).sum();
        let next = (expected / total_pairs).clamp(1e-15, 0.5);
        let converged = (next / model.prior).log2().abs() < 1e-4;
        model.prior = next;
        if converged {
            break;
        }
    }
}

/// Re-estimates the m-probabilities by EM over the candidate pairs'
/// levels (`pairs`: each pair's match weight under the current model and
/// its levels), then the prior; u-probabilities stay fixed (estimated from
/// random pairs), the usual way to keep EM from learning "same company"
/// instead of "same person".
pub(crate) fn estimate_m(
    model: &mut Model,
    records: usize,
    pairs: &[(f64, [u8; MAX_FIELDS])],
    nf: usize,
    rounds: usize,
) {
    let base = model.prior_weight();
    let weights_of = |model: &Model| -> Vec<Vec<f64>> {
        model
            .fields
            .iter()
            .map(|f| (0..f.m.len()).map(|l| f.weight(l as u8)).collect())
            .collect()
    };
    let original = weights_of(model);
    let rebased = |model: &Model, current: &[Vec<f64>], w0: f64, levels: &[u8; MAX_FIELDS]| {
        let mut w = w0 - base + model.prior_weight();
        for (f, &l) in levels.iter().enumerate().take(nf) {
            if l == MISSING {
                continue;
            }
            let now = current
                .get(f)
                .and_then(|x| x.get(l as usize))
                .copied()
                .unwrap_or(0.0);
            let was = original
                .get(f)
                .and_then(|x| x.get(l as usize))
                .copied()
                .unwrap_or(0.0);
            w += now - was;
        }
        w
    };
    for _ in 0..rounds {
        let current = weights_of(model);
        let mut mass: Vec<Vec<f64>> = model.fields.iter().map(|f| vec![0.0; f.m.len()]).collect();
        let mut totals = Vec::with_capacity(pairs.len());
        for (w0, levels) in pairs {
            let w = rebased(model, &current, *w0, levels);
            totals.push(w);
            let p = Model::probability(w);
            for (f, m) in mass.iter_mut().enumerate().take(nf) {
                let l = levels.get(f).copied().unwrap_or(MISSING);
                if let Some(x) = m.get_mut(l as usize) {
                    *x += p;
                }
            }
        }
        for (fm, m) in model.fields.iter_mut().zip(&mass) {
            let total: f64 = m.iter().sum::<f64>() + 0.5 * m.len() as f64;
            if total > 10.0 {
                fm.m = m.iter().map(|x| (x + 0.5) / total).collect();
            }
        }
        estimate_prior(model, records, &totals);
    }
}
