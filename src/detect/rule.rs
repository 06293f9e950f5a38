//! The decision rule the built-in detectors share: which rep-periods
//! become findings, and with what score.

use serde::{Deserialize, Serialize};

use super::baseline::{self, Baseline};
use super::{DetectContext, Finding};

/// The decision rule every built-in detector uses, public so that a
/// caller's own detector measures and flags the same way; the one in
/// [`DetectConfig::rule`](super::DetectConfig::rule) is the one
/// [`DetectContext::config`] hands every detector.
///
/// A detector measures each rep-period's figure against the rep's peers in
/// the same period as a robust z-score ([`Rule::rate_z`] for a count of
/// events among trials, [`Rule::z`] for any other figure: the peers'
/// median, their spread between honest reps, and the sampling noise of the
/// rep's own figure), says nothing with fewer than [`Rule::min_peers`]
/// peers, gates it on the effect sizes it cares about (the built-in ones
/// want, say, at least five points more hollow contacts than the team), and
/// hands the rest to [`Rule::conclude`]. A rep-period then becomes a
/// finding when its z-score reaches [`Rule::z_flag`], or when it is at
/// least [`Rule::z_persist`] in a run of two to four adjacent periods of
/// the rep, each at least `z_persist`, whose Stouffer sum `Σz / √n` (each
/// z capped at `z_flag`) reaches `z_flag`: gaming is a habit, chance is
/// not, and for an honest rep either event is about as rare as a normal
/// tail beyond `z_flag`. Its score is [`Rule::score`] of the z-score it
/// rests on.
///
/// # Example
///
/// A detector from another crate: reps who log a far larger share of their
/// contacts at night than their team mates.
/// ```
/// use std::collections::HashMap;
///
/// use chrono::{Duration, TimeZone, Timelike, Utc};
/// use sales_metrics::detect::{self, DetectConfig, DetectContext, Detector, Finding};
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
///     fn detect(&self, ctx: &DetectContext<'_>) -> Vec<Finding> {
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
///         let mut candidates = Vec::new();
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
///             let (Some(z), Some(team)) =
///                 (rule.rate_z(*k, *n, &peer_counts), rule.peer_rate(&peer_counts))
///             else {
///                 continue;
///             };
///             let explanation = format!(
///                 "In {period} {rep} logged {k} of {n} contacts at night, against {:.1} % for the team's median rep.",
///                 100.0 * team,
///             );
///             let finding = Finding {
///                 detector: self.name().to_owned(),
///                 rep_id: rep.to_string(),
///                 period: period.clone(),
///                 score: 0.0, // the rule scores it
///                 explanation,
///                 evidence: ids.clone(),
///             };
///             candidates.push((z, finding));
///         }
///         rule.conclude(ctx, candidates)
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
/// assert!(findings[0].score > 0.5);
/// assert_eq!(findings[0].evidence.len(), 30);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Rule {
    /// Robust z-score from which a rep-period is a finding on its own
    /// (default 4: a one-sided normal tail of 3 in 100,000, so an honest
    /// team of 50 reps crosses it about once in 50 years of months).
    pub z_flag: f64,
    /// z-score from which a period counts as evidence together with the
    /// adjacent periods of the same rep (default 1.5).
    pub z_persist: f64,
    /// Fewest peers with enough data to judge a rep at all (default 3: a
    /// median of fewer is one person's habit).
    pub min_peers: usize,
}

impl Default for Rule {
    fn default() -> Self {
        Self {
            z_flag: 4.0,
            z_persist: 1.5,
            min_peers: 3,
        }
    }
}

impl Rule {
    /// How far a rep's `k` events of interest in `n` trials (night
    /// contacts among contacts, …) lie above their peers' counts (`(k, n)`
    /// each), as a robust z-score; `None` when `n` is 0 or there are fewer
    /// than [`Rule::min_peers`] peers.
    ///
    /// The peers' rates are smoothed (`(k + ½) / (n + 1)`, so that a peer
    /// with no event in a small month does not claim a rate of exactly
    /// zero); their median is the baseline rate ([`Rule::peer_rate`]), and
    /// their spread between honest reps is MAD × 1.4826 less the part their
    /// own binomial sampling noise explains, so small peer counts are not
    /// counted twice. The rep's excess `d = k / n − median` is measured
    /// against that spread and the rep's own sampling noise, taken from the
    /// *exact* binomial tail `P(X ≥ k | n, median)` (a normal approximation
    /// overstates the evidence of a few events when the rate is small):
    /// `z = d / √(spread² + noise²)`, and 0 when the rate is not above the
    /// median.
    ///
    /// ```
    /// use sales_metrics::detect::Rule;
    ///
    /// // 13 hollow contacts of 30 against peers with about one in forty.
    /// let peers = [(0, 25), (1, 30), (0, 20), (1, 28), (0, 33)];
    /// let rule = Rule::default();
    /// assert!(rule.rate_z(13, 30, &peers).is_some_and(|z| z > 6.0));
    /// assert!(rule.rate_z(3, 29, &peers).is_some_and(|z| z < 3.0)); // not yet evidence
    /// assert!(rule.rate_z(13, 30, &peers[..2]).is_none()); // too few peers to judge
    /// ```
    pub fn rate_z(&self, k: u32, n: u32, peers: &[(u32, u32)]) -> Option<f64> {
        if n == 0 {
            return None;
        }
        Some(Baseline::of_rates(peers, self.min_peers)?.rate_z(k, n))
    }

    /// The peers' typical rate that [`Rule::rate_z`] measures against: the
    /// median of their smoothed rates (`(k + ½) / (n + 1)` each), for an
    /// explanation; `None` with fewer than [`Rule::min_peers`] peers.
    pub fn peer_rate(&self, peers: &[(u32, u32)]) -> Option<f64> {
        Some(Baseline::of_rates(peers, self.min_peers)?.median)
    }

    /// How far a rep's figure `x`, whose own sampling standard error is
    /// `noise`, lies above their peers' figures, as a robust z-score:
    /// `(x − median) / √(spread² + noise²)` over the peers' finite
    /// figures, with `spread` their MAD × 1.4826, so a team that happens to
    /// agree closely does not turn the rep's noise into a finding; `None`
    /// with fewer than [`Rule::min_peers`] peers.
    ///
    /// ```
    /// use sales_metrics::detect::Rule;
    ///
    /// let team = [10.0, 12.0, 11.0, 13.0, 9.0];
    /// let rule = Rule::default();
    /// assert!(rule.z(20.0, 0.0, &team).is_some_and(|z| z > 4.0)); // far above the team
    /// assert!(rule.z(20.0, 0.0, &team[..2]).is_none()); // too few to judge
    /// ```
    pub fn z(&self, x: f64, noise: f64, peers: &[f64]) -> Option<f64> {
        Some(Baseline::of(peers, self.min_peers)?.z(x, noise))
    }

    /// The score of a finding whose evidence stands `z` robust standard
    /// deviations out: 0.5 at `z_flag`, 0.75 at twice it, approaching 1
    /// (`1 − 0.5^(z / z_flag)`, to four decimals); 0 for `z ≤ 0`.
    pub fn score(&self, z: f64) -> f64 {
        baseline::score(z, self.z_flag)
    }

    /// Which candidate findings, each with the z-score it rests on, stand:
    /// those the rule flags, scored by [`Rule::score`], with their
    /// evidence sorted in byte order and cut to
    /// [`DetectConfig::max_evidence`](super::DetectConfig::max_evidence)
    /// ids, and a sentence added to the explanation where a run of
    /// adjacent periods carries the finding. A candidate is known by its
    /// `rep_id` and `period` (a label as [`DetectContext::period_at`] gives
    /// it); one whose rep or period the context does not know is left out.
    pub fn conclude(
        &self,
        ctx: &DetectContext<'_>,
        candidates: Vec<(f64, Finding)>,
    ) -> Vec<Finding> {
        let periods = ctx.periods_by_label();
        let max_evidence = ctx.config().max_evidence;
        let pending = candidates
            .into_iter()
            .filter_map(|(z, mut f)| {
                let rep = ctx.ledger().rep_index(&f.rep_id)?;
                let period = *periods.get(&f.period)?;
                f.evidence.sort_unstable();
                f.evidence.dedup();
                f.evidence.truncate(max_evidence);
                Some((Candidate { rep, period, z }, f))
            })
            .collect();
        conclude(ctx, pending, self.z_flag, self.z_persist)
    }
}

/// A rep-period whose evidence passed a detector's effect-size gates and
/// reached `z_persist`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Candidate {
    pub(crate) rep: u32,
    pub(crate) period: u32,
    pub(crate) z: f64,
}

/// A rep-period that becomes a finding, with the z-score its score rests
/// on and, when a run of adjacent periods carries it, the run's first and
/// last period.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Decision {
    pub(crate) rep: u32,
    pub(crate) period: u32,
    pub(crate) z: f64,
    pub(crate) run: Option<(u32, u32)>,
}

/// Which candidates become findings: a z-score of `z_flag` or more on its
/// own, or — gaming is a habit, chance is not — a z-score of at least
/// `z_persist` in a run of two to four adjacent periods of the same rep,
/// each at least `z_persist`, whose Stouffer sum `Σz / √n` (each z capped
/// at `z_flag`, so one glaring month does not carry a weak one) reaches
/// `z_flag`. For an honest rep that sum is a standard normal, so a run
/// crosses `z_flag` as rarely as one period does.
pub(crate) fn decide(
    cands: &[Candidate],
    ordinal: impl Fn(u32) -> Option<i64>,
    z_flag: f64,
    z_persist: f64,
) -> Vec<Decision> {
    const MAX_RUN: i64 = 4;
    // (rep, calendar ordinal of the period, candidate): dense indices skip
    // periods without events, so adjacency is read off the ordinals.
    let mut sorted: Vec<(u32, i64, &Candidate)> = cands
        .iter()
        .filter(|c| c.z >= z_persist)
        .filter_map(|c| Some((c.rep, ordinal(c.period)?, c)))
        .collect();
    sorted.sort_by_key(|&(rep, o, _)| (rep, o));
    let at = |rep: u32, o: i64| -> Option<&Candidate> {
        sorted
            .binary_search_by_key(&(rep, o), |&(r, q, _)| (r, q))
            .ok()
            .and_then(|i| sorted.get(i))
            .map(|&(_, _, c)| c)
    };
    let mut out = Vec::new();
    for &(rep, o, c) in &sorted {
        // Runs of 2 to 4 adjacent periods that contain this one.
        let mut best: Option<(f64, (u32, u32))> = None;
        let runs = (2..=MAX_RUN).flat_map(|len| {
            (0..len).map(move |k| (o.saturating_sub(k), o.saturating_sub(k) + len - 1))
        });
        for (lo, hi) in runs {
            let zs: Option<Vec<f64>> = (lo..=hi)
                .map(|q| at(rep, q).map(|x| x.z.min(z_flag)))
                .collect();
            let (Some(zs), Some(first), Some(last)) = (zs, at(rep, lo), at(rep, hi)) else {
                continue;
            };
            let z = zs.iter().sum::<f64>() / (zs.len() as f64).sqrt();
            if best.is_none_or(|(bz, _)| z > bz) {
                best = Some((z, (first.period, last.period)));
            }
        }
        // A period stands on its own evidence or on its best run's,
        // whichever is stronger.
        let (z, run) = match best {
            Some((run_z, run)) if run_z > c.z => (run_z, Some(run)),
            _ => (c.z, None),
        };
        if z >= z_flag {
            out.push(Decision {
                rep: c.rep,
                period: c.period,
                z,
                run,
            });
        }
    }
    out
}

/// Turns a detector's candidate findings (built with any score) into its
/// findings: [`decide`]s which stand, scores them from the z-score they rest
/// on, and notes where the adjacent period's evidence was needed.
pub(crate) fn conclude(
    ctx: &DetectContext<'_>,
    pending: Vec<(Candidate, Finding)>,
    z_flag: f64,
    z_persist: f64,
) -> Vec<Finding> {
    let cands: Vec<Candidate> = pending.iter().map(|(c, _)| *c).collect();
    let decisions: std::collections::HashMap<(u32, u32), Decision> =
        decide(&cands, |p| ctx.period_ordinal(p), z_flag, z_persist)
            .into_iter()
            .map(|d| ((d.rep, d.period), d))
            .collect();
    pending
        .into_iter()
        .filter_map(|(c, mut f)| {
            let d = decisions.get(&(c.rep, c.period))?;
            f.score = baseline::score(d.z, z_flag);
            f.explanation.push_str(&persistence_note(ctx, d.run));
            Some(f)
        })
        .collect()
}

/// The sentence that says a finding rests on a run of periods.
pub(crate) fn persistence_note(ctx: &DetectContext<'_>, run: Option<(u32, u32)>) -> String {
    run.map_or_else(String::new, |(lo, hi)| {
        format!(
            " The pattern holds from {} to {}, which together carry the finding.",
            ctx.period_label(lo),
            ctx.period_label(hi)
        )
    })
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

        fn detect(&self, ctx: &DetectContext<'_>) -> Vec<Finding> {
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
                let (Some(z), Some(team)) = (
                    rule.rate_z(*k, *n, &peer_counts),
                    rule.peer_rate(&peer_counts),
                ) else {
                    continue;
                };
                if f64::from(*k) / f64::from(*n) - team < s.min_excess {
                    continue;
                }
                let finding = Finding {
                    detector: self.name().to_owned(),
                    rep_id: rep.to_string(),
                    period: period.clone(),
                    score: 0.0,
                    explanation: String::new(),
                    evidence: ids.clone(),
                };
                candidates.push((z, finding));
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
