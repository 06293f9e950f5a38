//! The decision rule the built-in detectors share: how a rep-period's
//! evidence is measured against the team, pooled over the rep's adjacent
//! periods, turned into a p-value, and held to a false discovery rate.

use serde::{Deserialize, Serialize};

use super::baseline::{self, Baseline, Excess, upper_tail_of_z, z_of_upper_tail};
use super::{DetectContext, Finding, Tested};

/// The decision rule every built-in detector uses, public so that a
/// caller's own detector measures and flags the same way; the one in
/// [`DetectConfig::rule`](super::DetectConfig::rule) is the one
/// [`DetectContext::config`] hands every detector.
///
/// **Measure.** A detector measures each rep-period's figure against the
/// rep's peers in the same period as an [`Excess`] — a signed robust
/// z-score and the share of it that persists between periods —
/// ([`Rule::rate_excess`] for a count of events among trials,
/// [`Rule::excess`] for any other figure), and says nothing with fewer
/// than [`Rule::min_peers`] peers.
///
/// **Pool.** Gaming is a habit, chance is not: the evidence of a period is
/// pooled with the rep's periods just before it, as a scan over trailing
/// windows of 1, 2, 3, 4, 6, 9, 12, 18 and 24 periods (of months: from a
/// month to two years). A window's z-scores are summed (Stouffer), each
/// capped at ±5 so one glaring period does not carry quiet ones, and divided by the standard deviation
/// that sum has for an honest rep: `√(L + (Σ√ρ)² − Σρ)` for `L` periods
/// with persistent shares `ρ`, since an honest rep who works differently
/// from the team does so every period (with `ρ` near 1 pooling adds
/// nothing; with `ρ` near 0 it adds `√L`). The period's p-value is the
/// smallest window's one-sided normal tail times the number of windows
/// tried (Bonferroni), so the scan is calibrated: for an honest rep
/// `P(p ≤ α) ≤ α`. This is the accumulation of a CUSUM chart with its
/// reference values fixed in advance.
///
/// **Decide.** Only rep-periods the detector marks as worth a finding
/// (its effect-size gates passed, and the period's own z-score above 0)
/// can become one; every rep-period it judged is a test. Across every
/// detector of a run, [`detect`](super::detect) turns p-values into
/// Benjamini–Hochberg q-values over all the tests of the run (those that
/// could not become a finding count with p-value 1) and keeps the findings
/// with `q ≤` [`Rule::fdr`]: on a team with no gaming at all, a run has
/// any finding with probability at most `fdr`; on a team with some, at most
/// a share `fdr` of the findings is expected to be wrong. Each finding
/// carries its `p_value` and `q_value`, and a [score](Rule::score) from
/// the z-score its p-value stands for.
///
/// # Example
///
/// A detector from another crate: reps who log a far larger share of their
/// contacts at night than their team mates.
/// ```
/// use std::collections::HashMap;
///
/// use chrono::{Duration, TimeZone, Timelike, Utc};
/// use sales_metrics::detect::{self, DetectConfig, DetectContext, Detector, Finding, Judged, Tested};
/// use sales_metrics::{classify, Channel, ClassifyConfig, Contact, LedgerBuilder, ProspectRecord, Rep};
///
/// struct NightOwl {
///     min_contacts: u32,
/// }
///
/// impl Detector for NightOwl {
///     fn name(&self) -> &str {
///         "night_owl"
///     }
///
///     fn detect(&self, ctx: &DetectContext<'_>) -> Tested {
///         // The rule the built-in detectors run with.
///         let rule = &ctx.config().rule;
///         // (night contacts, contacts, the night ones' ids) per rep and period.
///         let mut counts: HashMap<(&str, String), (u32, u32, Vec<String>)> = HashMap::new();
///         for rep in ctx.reps() {
///             for (id, at) in ctx.contacts_of(rep) {
///                 let Some(period) = ctx.period_at(at) else { continue };
///                 let x = counts.entry((rep, period)).or_default();
///                 x.1 += 1;
///                 if at.hour() >= 22 || at.hour() < 6 {
///                     x.0 += 1;
///                     x.2.push(id.to_owned());
///                 }
///             }
///         }
///         let enough = |key: &(&str, String)| {
///             counts.get(key).filter(|x| x.1 >= self.min_contacts).map(|x| (x.0, x.1))
///         };
///         let mut judged = Vec::new();
///         for ((rep, period), (k, n, ids)) in &counts {
///             if *n < self.min_contacts {
///                 continue;
///             }
///             // Team mates with enough contacts, or every other rep with
///             // enough when too few of them have (as the built-in ones do).
///             let peers = |min| -> Vec<(u32, u32)> {
///                 ctx.peers_of(rep, min)
///                     .into_iter()
///                     .filter_map(|p| enough(&(p, period.clone())))
///                     .collect()
///             };
///             let mut peer_counts = peers(1);
///             if peer_counts.len() < rule.min_peers {
///                 peer_counts = peers(usize::MAX);
///             }
///             let (Some(excess), Some(team)) =
///                 (rule.rate_excess(*k, *n, &peer_counts), rule.peer_rate(&peer_counts))
///             else {
///                 continue;
///             };
///             // Worth a finding only five points above the team.
///             let finding = (f64::from(*k) / f64::from(*n) - team >= 0.05).then(|| {
///                 let explanation = format!(
///                     "In {period} {rep} logged {k} of {n} contacts at night, against {:.1} % for the team's median rep.",
///                     100.0 * team,
///                 );
///                 Finding::new(self.name(), *rep, period, explanation, ids.clone())
///             });
///             judged.push(Judged { rep_id: rep.to_string(), period: period.clone(), excess, finding });
///         }
///         rule.conclude(ctx, judged)
///     }
/// }
///
/// // Six reps with 40 contacts each in June 2026; ana makes 30 of hers at 23:00.
/// let mut b = LedgerBuilder::new();
/// b.add_prospect(ProspectRecord::new("p1"));
/// let june = Utc.with_ymd_and_hms(2026, 6, 1, 10, 0, 0).unwrap();
/// for (r, rep) in ["ana", "bo", "cy", "di", "ed", "flo"].into_iter().enumerate() {
///     b.add_rep(Rep::new(rep));
///     for k in 0..40 {
///         // Honest reps make one call at night.
///         let night = if rep == "ana" { k < 30 } else { k == 39 - r };
///         let at = june + Duration::days(k as i64 / 2) + Duration::minutes(30 * (k as i64 % 2));
///         let at = at.with_hour(if night { 23 } else { 10 }).unwrap();
///         b.add_contact(Contact::new(format!("{rep}-{k}"), rep, "p1", at, Channel::Phone));
///     }
/// }
/// let ledger = b.build()?;
/// let classified = classify(&ledger, &ClassifyConfig::default());
/// let ctx = DetectContext::new(&classified, &DetectConfig::default())?;
/// let findings = detect::detect(&ctx, &[NightOwl { min_contacts: 30 }]);
/// assert_eq!(findings.len(), 1);
/// assert_eq!((findings[0].rep_id.as_str(), findings[0].period.as_str()), ("ana", "2026-06"));
/// assert!(findings[0].q_value <= 0.05 && findings[0].score > 0.5);
/// assert_eq!(findings[0].evidence.len(), 30);
/// assert_eq!(findings.tests(), 6); // six rep-months judged
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Rule {
    /// The false discovery rate a run's findings are held to (default
    /// 0.05: of twenty findings, one is expected to be an honest rep's bad
    /// luck; on an honest team, one run in twenty has any finding).
    pub fdr: f64,
    /// Fewest peers with enough data to judge a rep at all (default 3: a
    /// median of fewer is one person's habit).
    pub min_peers: usize,
}

impl Default for Rule {
    fn default() -> Self {
        Self {
            fdr: 0.05,
            min_peers: 3,
        }
    }
}

/// One rep-period a detector judged: its evidence and, when its effects
/// are large enough to report, the finding it would make.
///
/// Every judged rep-period counts as a test of the run and lends its
/// evidence to the rep's adjacent periods; only one with a `finding` can
/// become one ([`Rule::conclude`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Judged {
    /// The rep.
    pub rep_id: String,
    /// The period's label, as [`DetectContext::period_at`] gives it.
    pub period: String,
    /// How far the rep's figure lies above their peers'.
    pub excess: Excess,
    /// The finding to report should the evidence stand (its score, p- and
    /// q-value are filled in); `None` when the effect is too small to be
    /// worth one.
    pub finding: Option<Finding>,
}

impl Rule {
    /// How far a rep's `k` events of interest in `n` trials (night
    /// contacts among contacts, …) lie from their peers' counts (`(k, n)`
    /// each); `None` when `n` is 0 or there are fewer than
    /// [`Rule::min_peers`] peers.
    ///
    /// The peers' rates are smoothed (`(k + ½) / (n + 1)`, so that a peer
    /// with no event in a small month does not claim a rate of exactly
    /// zero); their median is the baseline rate ([`Rule::peer_rate`]), and
    /// their spread between honest reps is MAD × 1.4826 less the part their
    /// own binomial sampling noise explains, so small peer counts are not
    /// counted twice. The rep's excess `d = k / n − median` is measured
    /// against that spread and the rep's own sampling noise — above the
    /// median taken from the *exact* binomial tail `P(X ≥ k | n, median)`
    /// (a normal approximation overstates the evidence of a few events
    /// when the rate is small): `z = d / √(spread² + noise²)`, with
    /// `spread² / (spread² + noise²)` the persistent share.
    ///
    /// ```
    /// use sales_metrics::detect::Rule;
    ///
    /// // 13 hollow contacts of 30 against peers with about one in forty.
    /// let peers = [(0, 25), (1, 30), (0, 20), (1, 28), (0, 33)];
    /// let rule = Rule::default();
    /// assert!(rule.rate_excess(13, 30, &peers).is_some_and(|e| e.z > 6.0));
    /// assert!(rule.rate_excess(3, 29, &peers).is_some_and(|e| e.z < 3.0)); // not yet evidence
    /// assert!(rule.rate_excess(0, 29, &peers).is_some_and(|e| e.z < 0.0)); // below the team
    /// assert!(rule.rate_excess(13, 30, &peers[..2]).is_none()); // too few peers to judge
    /// ```
    pub fn rate_excess(&self, k: u32, n: u32, peers: &[(u32, u32)]) -> Option<Excess> {
        if n == 0 {
            return None;
        }
        Some(Baseline::of_rates(peers, self.min_peers)?.rate_excess(k, n))
    }

    /// The peers' typical rate that [`Rule::rate_excess`] measures
    /// against: the median of their smoothed rates (`(k + ½) / (n + 1)`
    /// each), for an explanation; `None` with fewer than
    /// [`Rule::min_peers`] peers.
    pub fn peer_rate(&self, peers: &[(u32, u32)]) -> Option<f64> {
        Some(Baseline::of_rates(peers, self.min_peers)?.median)
    }

    /// How far a rep's figure `x`, whose own sampling standard error is
    /// `noise`, lies from their peers' figures: `(x − median) /
    /// √(spread² + noise²)` over the peers' finite figures, with `spread`
    /// their MAD × 1.4826, so a team that happens to agree closely does
    /// not turn the rep's noise into a finding; `None` with fewer than
    /// [`Rule::min_peers`] peers.
    ///
    /// ```
    /// use sales_metrics::detect::Rule;
    ///
    /// let team = [10.0, 12.0, 11.0, 13.0, 9.0];
    /// let rule = Rule::default();
    /// assert!(rule.excess(20.0, 0.0, &team).is_some_and(|e| e.z > 4.0)); // far above the team
    /// assert!(rule.excess(20.0, 0.0, &team[..2]).is_none()); // too few to judge
    /// ```
    pub fn excess(&self, x: f64, noise: f64, peers: &[f64]) -> Option<Excess> {
        Some(Baseline::of(peers, self.min_peers)?.excess(x, noise))
    }

    /// The score of a finding whose evidence stands `z` standard deviations
    /// out (the z-score of its p-value): 0.5 at 4, 0.75 at 8, approaching
    /// 1 (`1 − 0.5^(z / 4)`, to four decimals); 0 for `z ≤ 0`.
    pub fn score(&self, z: f64) -> f64 {
        baseline::score(z, SCORE_HALF)
    }

    /// The judged rep-periods of a detector as its [`Tested`]: every one
    /// is a test; those with a finding get their p-value from the pooled
    /// evidence (see the [type docs](Rule)), and the ones with `p ≤`
    /// [`Rule::fdr`] (no other can pass the run's q-value threshold) are
    /// returned as candidates, with their score, their evidence sorted in
    /// byte order and cut to
    /// [`DetectConfig::max_evidence`](super::DetectConfig::max_evidence)
    /// ids, and a sentence added to the explanation where earlier periods
    /// carry the finding. A rep-period is known by its `rep_id` and
    /// `period` (a label as [`DetectContext::period_at`] gives it); one
    /// whose rep or period the context does not know is left out.
    pub fn conclude(&self, ctx: &DetectContext<'_>, judged: Vec<Judged>) -> Tested {
        let periods = ctx.periods_by_label();
        let mut cands = Vec::with_capacity(judged.len());
        let mut findings = Vec::with_capacity(judged.len());
        for j in judged {
            let (Some(rep), Some(&period)) =
                (ctx.ledger().rep_index(&j.rep_id), periods.get(&j.period))
            else {
                continue;
            };
            // The caller's effect-size gates are in whether it made a
            // finding.
            let reportable = j.finding.is_some();
            cands.push(Candidate::new(
                rep,
                period,
                j.excess,
                f64::INFINITY,
                reportable,
            ));
            findings.push(j.finding);
        }
        conclude_with(ctx, &cands, self.fdr, |i, _| {
            findings.get(i).cloned().flatten()
        })
    }
}

/// The trailing windows, in periods, over which a period's evidence is
/// pooled with the rep's periods before it.
const WINDOWS: [usize; 9] = [1, 2, 3, 4, 6, 9, 12, 18, 24];

/// The largest z-score one period adds to (or, negative, takes from) a
/// pooled window.
const POOL_CAP: f64 = 5.0;

/// The z-score at which a finding's score is 0.5.
const SCORE_HALF: f64 = 4.0;

/// A rep-period a built-in detector judged, by dense indices.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Candidate {
    pub(crate) rep: u32,
    pub(crate) period: u32,
    /// The evidence against the team.
    pub(crate) excess: Excess,
    /// The effect over the detector's smallest one worth a finding (1: at
    /// it); averaged over the window the evidence is pooled in.
    pub(crate) effect: f64,
    /// Whether the period meets the detector's other conditions for a
    /// finding (enough events of interest, …).
    pub(crate) reportable: bool,
}

impl Candidate {
    /// A judged rep-period with its evidence, its effect over the smallest
    /// worth a finding, and whether it may be one.
    pub(crate) fn new(
        rep: u32,
        period: u32,
        excess: Excess,
        effect: f64,
        reportable: bool,
    ) -> Self {
        Candidate {
            rep,
            period,
            excess,
            effect,
            reportable,
        }
    }
}

/// A rep-period's pooled evidence: its p-value (scan-corrected), the
/// z-score that p-value stands for, and the first period of the window
/// it rests on (the period itself when it stands alone).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Pooled {
    pub(crate) p: f64,
    pub(crate) z: f64,
    pub(crate) from: u32,
}

/// The pooled evidence of every reportable candidate whose own z-score is
/// above 0 (`None` for the others, and for those no window of which has an
/// average effect of at least 1), in the order given.
pub(crate) fn pool(
    cands: &[Candidate],
    ordinal: impl Fn(u32) -> Option<i64>,
) -> Vec<Option<Pooled>> {
    let mut order: Vec<(u32, i64, usize)> = cands
        .iter()
        .enumerate()
        .filter_map(|(i, c)| Some((c.rep, ordinal(c.period)?, i)))
        .collect();
    order.sort_unstable();
    let mut out = vec![None; cands.len()];
    for run in order.chunk_by(|a, b| a.0 == b.0) {
        let history: Vec<&Candidate> = run.iter().filter_map(|&(_, _, i)| cands.get(i)).collect();
        for (pos, &(_, _, i)) in run.iter().enumerate() {
            let Some(c) = history.get(pos) else { continue };
            if !(c.reportable && c.excess.z > 0.0) {
                continue;
            }
            let upto = history.get(..=pos).unwrap_or_default();
            let Some((p, len)) = scan(upto) else { continue };
            let first = upto.get(upto.len() - len..).and_then(|w| w.first());
            if let (Some(first), Some(slot)) = (first, out.get_mut(i)) {
                *slot = Some(Pooled {
                    p,
                    z: z_of_upper_tail(p).max(0.0),
                    from: first.period,
                });
            }
        }
    }
    out
}

/// The candidates with the persistent share of their z-scores taken from
/// the whole run: the median of all the detector's rep-periods', when
/// there are at least [`TEAM_PERSISTENCE_MIN`] of them.
///
/// How much of a rep's difference from the team persists is a property
/// of the team over time; one period's estimate rests on the MAD of a few
/// peers and swings from 0 to most of the variance by chance, which would
/// let a noisy month pool too much evidence or too little. The median over
/// the run borrows strength from every period.
fn with_team_persistence(cands: &[Candidate]) -> Vec<Candidate> {
    let mut shares: Vec<f64> = cands.iter().map(|c| c.excess.persistent).collect();
    if shares.len() < TEAM_PERSISTENCE_MIN {
        return cands.to_vec();
    }
    let Some(team) = baseline::median(&mut shares) else {
        return cands.to_vec();
    };
    cands
        .iter()
        .map(|c| Candidate {
            excess: Excess::new(c.excess.z, team),
            ..*c
        })
        .collect()
}

/// Fewest rep-periods of a detector in a run to estimate the team's
/// persistent share from.
const TEAM_PERSISTENCE_MIN: usize = 20;

/// The scan of the last period of `history` (a rep's judged periods in
/// calendar order): over the trailing windows of [`WINDOWS`] that
/// fit, the smallest one-sided p-value of a window whose average effect
/// is at least 1, times the number of windows tried (Bonferroni), and the
/// length of that window.
fn scan(history: &[&Candidate]) -> Option<(f64, usize)> {
    let n = history.len();
    // A period whose evidence is all persistent (a figure over a trailing
    // window of its own) gains nothing from pooling: it stands alone.
    let alone = history.last().is_some_and(|c| c.excess.persistent >= 1.0);
    let mut best: Option<(f64, usize)> = None;
    let mut tried = 0usize;
    for len in WINDOWS
        .into_iter()
        .filter(|&len| len <= n && (len == 1 || !alone))
    {
        tried += 1;
        let window = history.get(n - len..)?;
        let effect = window.iter().map(|c| c.effect).sum::<f64>() / len as f64;
        if effect.is_nan() || effect < 1.0 {
            continue;
        }
        let p = upper_tail_of_z(window_z(window));
        if best.is_none_or(|(bp, _)| p < bp) {
            best = Some((p, len));
        }
    }
    let (p, len) = best?;
    Some(((p * tried as f64).min(1.0), len))
}

/// The pooled z-score of a window of a rep's periods: their Stouffer sum
/// (each z capped at ±[`POOL_CAP`]) over the standard deviation it
/// has for an honest rep — 1 per period plus `√(ρᵢρⱼ)` for every pair,
/// the part of the rep's difference from the team that persists. A period
/// on its own is not capped.
fn window_z(window: &[&Candidate]) -> f64 {
    if let [one] = window {
        return one.excess.z;
    }
    let sum: f64 = window
        .iter()
        .map(|c| c.excess.z.clamp(-POOL_CAP, POOL_CAP))
        .sum();
    let sqrt_rho: f64 = window.iter().map(|c| c.excess.persistent.sqrt()).sum();
    let rho: f64 = window.iter().map(|c| c.excess.persistent).sum();
    sum / (window.len() as f64 + sqrt_rho * sqrt_rho - rho)
        .max(1.0)
        .sqrt()
}

/// Turns a detector's judged rep-periods into its [`Tested`]: pools the
/// evidence, and for the rep-periods that may become findings with `p ≤
/// fdr` (no other can pass the run's q-value threshold) asks `make` for
/// the finding (given the candidate and its position), then scores it, sorts and cuts its evidence, and notes
/// where earlier periods carry it.
pub(crate) fn conclude_with(
    ctx: &DetectContext<'_>,
    cands: &[Candidate],
    fdr: f64,
    make: impl Fn(usize, &Candidate) -> Option<Finding>,
) -> Tested {
    let cands = &with_team_persistence(cands);
    let pooled = pool(cands, |p| ctx.period_ordinal(p));
    let max_evidence = ctx.config().max_evidence;
    let candidates = cands
        .iter()
        .zip(pooled)
        .enumerate()
        .filter_map(|(i, (c, pooled))| {
            let pooled = pooled.filter(|x| x.p <= fdr)?;
            let mut f = make(i, c)?;
            f.p_value = pooled.p;
            f.score = baseline::score(pooled.z, SCORE_HALF);
            f.evidence.sort_unstable();
            f.evidence.dedup();
            f.evidence.truncate(max_evidence);
            if pooled.from != c.period {
                f.explanation
                    .push_str(&persistence_note(ctx, pooled.from, c.period));
            }
            Some(f)
        })
        .collect();
    Tested {
        tests: cands.len(),
        candidates,
        notes: Vec::new(),
    }
}

/// [`conclude_with`] at the context's [`Rule::fdr`].
pub(crate) fn conclude(
    ctx: &DetectContext<'_>,
    cands: &[Candidate],
    make: impl Fn(&Candidate) -> Option<Finding>,
) -> Tested {
    conclude_with(ctx, cands, ctx.config().rule.fdr, |_, c| make(c))
}

/// The sentence that says a finding rests on a run of periods.
fn persistence_note(ctx: &DetectContext<'_>, from: u32, to: u32) -> String {
    format!(
        " The pattern holds from {} to {}, which together carry the finding.",
        ctx.period_label(from),
        ctx.period_label(to)
    )
}

#[cfg(all(test, feature = "sim"))]
mod tests {
    use std::collections::{HashMap, HashSet};

    use super::*;
    use crate::detect::{self, DetectConfig, Detector, HollowContacts};
    use crate::{ClassifyConfig, classify};

    /// `hollow_contacts` written with the public API only (but for which
    /// contacts are hollow and its fixed thresholds): it must flag what the
    /// built-in one flags.
    struct PublicHollow {
        hollow: HashSet<String>,
        settings: HollowContacts,
    }

    impl Detector for PublicHollow {
        fn name(&self) -> &str {
            "hollow_contacts"
        }

        fn detect(&self, ctx: &DetectContext<'_>) -> Tested {
            let mut counts: HashMap<(&str, String), (u32, u32, Vec<String>)> = HashMap::new();
            for rep in ctx.reps() {
                for (id, at) in ctx.contacts_of(rep) {
                    let Some(period) = ctx.period_at(at) else {
                        continue;
                    };
                    let x = counts.entry((rep, period)).or_default();
                    x.1 += 1;
                    if self.hollow.contains(id) {
                        x.0 += 1;
                        x.2.push(id.to_owned());
                    }
                }
            }
            let s = &self.settings;
            let enough = |key: &(&str, String)| {
                counts
                    .get(key)
                    .filter(|x| x.1 >= s.min_contacts)
                    .map(|x| (x.0, x.1))
            };
            let rule = &ctx.config().rule;
            let mut candidates = Vec::new();
            for ((rep, period), (k, n, ids)) in &counts {
                if *n < s.min_contacts {
                    continue;
                }
                let peers = |min| -> Vec<(u32, u32)> {
                    ctx.peers_of(rep, min)
                        .into_iter()
                        .filter_map(|p| enough(&(p, period.clone())))
                        .collect()
                };
                let mut peer_counts = peers(1);
                if peer_counts.len() < rule.min_peers {
                    peer_counts = peers(usize::MAX);
                }
                let (Some(excess), Some(team)) = (
                    rule.rate_excess(*k, *n, &peer_counts),
                    rule.peer_rate(&peer_counts),
                ) else {
                    continue;
                };
                let finding = (f64::from(*k) / f64::from(*n) - team >= s.min_excess)
                    .then(|| Finding::new(self.name(), rep, period, "", ids.clone()));
                candidates.push(Judged {
                    rep_id: rep.to_string(),
                    period: period.clone(),
                    excess,
                    finding,
                });
            }
            rule.conclude(ctx, candidates)
        }
    }

    #[test]
    fn a_detector_on_the_public_rule_flags_as_the_built_in_one() {
        let ledger = crate::sim::demo().and_then(|d| d.ledger());
        let Ok(ledger) = ledger else {
            panic!("demo: {ledger:?}");
        };
        let classified = classify(&ledger, &ClassifyConfig::default());
        let Ok(ctx) = DetectContext::new(&classified, &DetectConfig::default()) else {
            panic!("context");
        };
        let settings = HollowContacts::default();
        let max_s = super::super::hollow_contacts::max_duration_s(
            DetectConfig::default().hollow_max_duration,
        );
        let hollow = (0..ledger.contacts().len() as u32)
            .filter(|&i| {
                ledger.contacts().get(i as usize).is_some_and(|c| {
                    c.outcome.is_none() && c.duration_s().is_none_or(|d| d <= max_s)
                })
            })
            .map(|i| ledger.contact_id(i).to_owned())
            .collect();
        let key = |f: &Finding| {
            (
                f.rep_id.clone(),
                f.period.clone(),
                f.score,
                f.evidence.clone(),
            )
        };
        let built_in: Vec<_> = detect::detect(&ctx, &[HollowContacts::default()])
            .iter()
            .map(key)
            .collect();
        let public: Vec<_> = detect::detect(&ctx, &[PublicHollow { hollow, settings }])
            .iter()
            .map(key)
            .collect();
        assert!(!built_in.is_empty());
        assert_eq!(public, built_in);
    }
}

#[cfg(test)]
mod scan_tests {
    use super::*;

    fn cand(rep: u32, period: u32, z: f64, persistent: f64) -> Candidate {
        Candidate::new(rep, period, Excess::new(z, persistent), 2.0, true)
    }

    #[test]
    fn windows_pool_what_persists_once() {
        let a = cand(0, 0, 2.0, 0.0);
        let b = cand(0, 1, 2.0, 0.0);
        // Independent periods: two z of 2 pool to 2√2.
        assert!((window_z(&[&a, &b]) - 2.0 * 2f64.sqrt()).abs() < 1e-12);
        // All persistent: pooling adds nothing (the mean).
        let (c, d) = (cand(0, 0, 2.0, 1.0), cand(0, 1, 2.0, 1.0));
        assert!((window_z(&[&c, &d]) - 2.0).abs() < 1e-12);
        // One period stands alone, uncapped.
        assert_eq!(window_z(&[&cand(0, 0, 9.0, 0.0)]), 9.0);
    }

    #[test]
    fn the_scan_is_calibrated_for_honest_reps() {
        // 4,000 honest reps over 12 periods, z standard normal: the share
        // of rep-periods with p ≤ α stays within α (Bonferroni over the
        // windows is conservative).
        let mut rng = crate::rng::Rng::new(7, 1);
        let cands: Vec<Candidate> = (0..4_000u32)
            .flat_map(|rep| (0..12u32).map(move |p| (rep, p)))
            .map(|(rep, p)| cand(rep, p, rng.normal(), 0.0))
            .collect();
        let pooled = pool(&cands, |p| Some(i64::from(p)));
        for alpha in [0.05, 0.01, 0.001] {
            let hits = pooled.iter().flatten().filter(|x| x.p <= alpha).count();
            let rate = hits as f64 / cands.len() as f64;
            assert!(rate <= alpha * 1.15, "α {alpha}: {rate}");
        }
    }

    #[test]
    fn a_habit_is_found_where_one_period_is_not() {
        // z = 2.5 for six periods: no period alone is below 1e-3 after the
        // scan, the six together are far below.
        let cands: Vec<Candidate> = (0..6).map(|p| cand(0, p, 2.5, 0.0)).collect();
        let pooled = pool(&cands, |p| Some(i64::from(p)));
        let first = pooled.first().copied().flatten().map_or(1.0, |x| x.p);
        let last = pooled.last().copied().flatten();
        assert!(first > 1e-3, "{first}");
        assert!(last.is_some_and(|x| x.p < 1e-5 && x.from == 0), "{last:?}");
    }

    #[test]
    fn small_effects_and_unreportable_periods_make_no_finding() {
        let mut small = cand(0, 0, 6.0, 0.0);
        small.effect = 0.5;
        let mut unreportable = cand(1, 0, 6.0, 0.0);
        unreportable.reportable = false;
        let pooled = pool(&[small, unreportable], |p| Some(i64::from(p)));
        assert_eq!(pooled, [None, None]);
    }

    /// (rep, period, pooled p-value bits and first period).
    type PooledKey = (u32, u32, Option<(u64, u32)>);

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

        #[test]
        fn pooling_does_not_depend_on_input_order(
            zs in proptest::collection::vec((0u32..4, 0u32..8, -3.0f64..6.0, 0.0f64..1.0), 1..40),
            seed in 0u64..1000,
        ) {
            // One candidate per (rep, period).
            let mut seen = std::collections::HashSet::new();
            let cands: Vec<Candidate> = zs
                .into_iter()
                .filter(|&(r, p, _, _)| seen.insert((r, p)))
                .map(|(r, p, z, rho)| cand(r, p, z, rho))
                .collect();
            let mut shuffled = cands.clone();
            crate::rng::Rng::new(seed, 3).shuffle(&mut shuffled);
            let key = |cs: &[Candidate]| {
                let mut v: Vec<PooledKey> = cs
                    .iter()
                    .zip(pool(cs, |p| Some(i64::from(p))))
                    .map(|(c, x)| (c.rep, c.period, x.map(|x| (x.p.to_bits(), x.from))))
                    .collect();
                v.sort_unstable();
                v
            };
            proptest::prop_assert_eq!(key(&cands), key(&shuffled));
        }
    }
}
