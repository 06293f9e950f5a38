//! The `duplicate_inflation` detector (see [`DuplicateInflation`]).

use super::baseline::pct;
use super::{DetectContext, Detector, Finding};
use crate::ledger::{EventKind, NONE};

/// `duplicate_inflation`: prospects who already existed, entered again so
/// that they count as new.
///
/// **Behaviour.** Where a CRM counts new records as new prospects, a rep
/// short of new prospects types a known one in again — a colleague's, a
/// dormant one of their own — with the name order swapped or the e-mail
/// changed, and works it as new.
///
/// **Signal.** The prospect records *entered by* the rep in the period —
/// `created_by` the rep, or, where `created_by` is empty, first contacted by
/// the rep through that record — and the share of them that land in a
/// prospect (a cluster of the ledger's partition: deduplication or a
/// supplied `prospect_clusters.csv`) that was known before the record was
/// entered: another record of the cluster was created, or had an event,
/// earlier. The record's entry time is its `created_at`, else its first
/// event. It needs a partition: with every record its own prospect it says
/// nothing.
///
/// **Baseline.** The share against the team mates' in the period (all reps
/// when the team is small), tested with [`Baseline::of_rates`](super::Baseline::of_rates) and [`Baseline::rate_z`](super::Baseline::rate_z) (the peers'
/// median rate, their spread beyond sampling noise, and the exact binomial
/// tail of the rep's own count) — some duplicates are honest
/// (a known person comes back through a web form); the rep's own median
/// share in other periods is quoted.
///
/// **Minimum data.** [`DuplicateInflation::min_records`] records entered by
/// the rep in the period, at least [`DuplicateInflation::min_duplicates`]
/// duplicates, and [`DuplicateInflation::min_peers`] peers with enough
/// records.
///
/// Its fields are its settings; its `z_flag` and `z_persist` are its
/// [`Rule`](super::Rule).
#[derive(Debug, Clone, PartialEq)]
pub struct DuplicateInflation {
    /// Fewest records entered by the rep in the period (default 10).
    pub min_records: u32,
    /// Fewest duplicates in the period (default 3: one or two happen to
    /// anyone who does not search before typing).
    pub min_duplicates: u32,
    /// Fewest peers with enough records (default 3).
    pub min_peers: usize,
    /// Robust z-score from which a finding is reported (default 4).
    pub z_flag: f64,
    /// z-score from which a period counts as evidence together with the
    /// adjacent periods of the same rep (default 1.5): a run of two to
    /// four becomes findings when `Σz / √n` reaches `z_flag` — gaming is a
    /// habit, chance is not (see [`Rule`](super::Rule)).
    pub z_persist: f64,
    /// Smallest excess share over the team median (default 0.1: one
    /// entered record in ten).
    pub min_excess: f64,
}

impl Default for DuplicateInflation {
    fn default() -> Self {
        Self {
            min_records: 10,
            min_duplicates: 3,
            min_peers: 3,
            z_flag: 4.0,
            z_persist: 1.5,
            min_excess: 0.1,
        }
    }
}

/// One record as this detector sees it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Entered {
    pub(crate) record: u32,
    pub(crate) rep: u32,
    pub(crate) period: u32,
    /// The earlier record of the same prospect, when it duplicates one.
    pub(crate) duplicates: Option<u32>,
}

impl DuplicateInflation {
    /// Every record with an entry time and a rep who entered it.
    pub(crate) fn entered(ctx: &DetectContext<'_>) -> Vec<Entered> {
        super::map_prospect_chunks(ctx.ledger(), |range| Self::entered_in(ctx, range))
            .into_iter()
            .flatten()
            .collect()
    }

    fn entered_in(ctx: &DetectContext<'_>, prospects: std::ops::Range<u32>) -> Vec<Entered> {
        let ledger = ctx.ledger();
        let records = ledger.records();
        let mut out = Vec::new();
        // Per record of one prospect: (record, first event µs, its rep).
        let mut first: Vec<(u32, i64, u32)> = Vec::new();
        // (record, entry time, first event, entered by).
        let mut entered: Vec<(u32, Option<i64>, i64, u32)> = Vec::new();
        for p in prospects {
            let members = ledger.prospect_records(p);
            // A record alone in its prospect duplicates nothing; when it
            // says who entered it and when, its events need no walk.
            if let [r] = members
                && let (Some(at), Some(by)) = (
                    records.created_us(*r as usize),
                    records.created_by(*r as usize),
                )
            {
                if let Some(period) = ctx.period_of(at) {
                    out.push(Entered {
                        record: *r,
                        rep: by,
                        period,
                        duplicates: None,
                    });
                }
                continue;
            }
            first.clear();
            first.extend(members.iter().map(|&r| (r, i64::MAX, NONE)));
            for e in ledger.prospect_events(p) {
                // invariant: an event's index is a row of its kind.
                #[allow(clippy::indexing_slicing)]
                let (record, rep) = match e.kind {
                    EventKind::Contact => {
                        let c = &ledger.contacts()[e.index as usize];
                        (c.record, c.rep)
                    }
                    EventKind::Meeting => {
                        let m = &ledger.meetings()[e.index as usize];
                        (m.record, m.rep)
                    }
                    EventKind::Sale => {
                        let s = &ledger.sales()[e.index as usize];
                        (s.record, s.rep)
                    }
                };
                // Members are ascending: a search, not a scan per event.
                if let Ok(i) = members.binary_search(&record)
                    && let Some(f) = first.get_mut(i)
                    && e.time_us < f.1
                {
                    f.1 = e.time_us;
                    // Only a contact opens a record for a rep.
                    f.2 = if e.kind == EventKind::Contact {
                        rep
                    } else {
                        NONE
                    };
                }
            }
            // Entry time: created_at, else the first event.
            entered.clear();
            entered.extend(first.iter().map(|&(r, first_us, first_rep)| {
                let at = records.created_us(r as usize).unwrap_or(first_us);
                let by = records.created_by(r as usize).unwrap_or(first_rep);
                (r, Some(at).filter(|&t| t != i64::MAX), first_us, by)
            }));
            // The two records known first: the earliest record other than
            // r is the first of them, or the second when r is the first.
            let known_first = two_smallest(
                entered
                    .iter()
                    .map(|&(o, o_at, o_first, _)| (o_at.unwrap_or(i64::MAX).min(o_first), o)),
            );
            for &(r, at, _, by) in &entered {
                let (Some(at), true) = (at, by != NONE) else {
                    continue;
                };
                let Some(period) = ctx.period_of(at) else {
                    continue;
                };
                // Known before: another record of the cluster created or
                // used earlier.
                let earlier = known_first
                    .iter()
                    .flatten()
                    .find(|&&(_, o)| o != r)
                    .filter(|&&(known, _)| known < at)
                    .copied();
                out.push(Entered {
                    record: r,
                    rep: by,
                    period,
                    duplicates: earlier.map(|(_, o)| o),
                });
            }
        }
        out
    }
}

/// The two smallest items (in order), without sorting them all.
fn two_smallest<T: Ord + Copy>(items: impl Iterator<Item = T>) -> [Option<T>; 2] {
    let (mut first, mut second): (Option<T>, Option<T>) = (None, None);
    for x in items {
        if first.is_none_or(|f| x < f) {
            second = first;
            first = Some(x);
        } else if second.is_none_or(|s| x < s) {
            second = Some(x);
        }
    }
    [first, second]
}

impl Detector for DuplicateInflation {
    fn name(&self) -> &str {
        "duplicate_inflation"
    }

    fn detect(&self, ctx: &DetectContext<'_>) -> Vec<Finding> {
        let ledger = ctx.ledger();
        let entered = ctx.entered();
        let mut counts = ctx.rep_period::<(u32, u32)>();
        for e in entered {
            if let Some(x) = counts.get_mut(e.rep, e.period) {
                x.1 += 1;
                if e.duplicates.is_some() {
                    x.0 += 1;
                }
            }
        }
        let trials = counts.map(|&(k, n)| (n >= self.min_records).then_some((k, n)));
        let share = counts
            .map(|&(k, n)| (n >= self.min_records).then(|| f64::from(k) / f64::from(n.max(1))));
        // Each (rep, period)'s duplicates, found by a search rather than a
        // scan of every record per candidate.
        let mut dup_of: Vec<(u32, u32, usize)> = entered
            .iter()
            .enumerate()
            .filter(|(_, e)| e.duplicates.is_some())
            .map(|(i, e)| (e.rep, e.period, i))
            .collect();
        dup_of.sort_unstable();
        let mut pending: Vec<(super::Candidate, Finding)> = Vec::new();
        for (rep, period, &(k, n)) in counts.iter() {
            if k < self.min_duplicates {
                continue;
            }
            let Some(t) = ctx.proportion_test(&trials, rep, period, self.min_peers) else {
                continue;
            };
            if t.z < self.z_persist || t.rate - t.baseline < self.min_excess {
                continue;
            }
            let from = dup_of.partition_point(|&(r, p, _)| (r, p) < (rep, period));
            let to = dup_of.partition_point(|&(r, p, _)| (r, p) <= (rep, period));
            // invariant: partition points, so from <= to <= len.
            #[allow(clippy::indexing_slicing)]
            let dups: Vec<&Entered> = dup_of[from..to]
                .iter()
                .filter_map(|&(_, _, i)| entered.get(i))
                .collect();
            let example = dups
                .iter()
                .min_by_key(|e| {
                    ledger
                        .records()
                        .get(e.record as usize)
                        .map(|r| r.prospect_id)
                })
                .and_then(|e| {
                    let a = ledger.records().get(e.record as usize)?.prospect_id;
                    let b = ledger.records().get(e.duplicates? as usize)?.prospect_id;
                    Some(format!(" (e.g. {a} is {b} again)"))
                })
                .unwrap_or_default();
            let own = ctx
                .own_median(&share, rep, period)
                .map_or_else(String::new, |o| {
                    format!(", and {} in their other months", pct(o))
                });
            let explanation = format!(
                "In {} {} entered {} of {} new prospect records ({}) for prospects already known to the CRM{example}, against {} for the team's median rep{own}.",
                ctx.period_label(period),
                ledger.rep_id(rep),
                k,
                n,
                pct(t.rate),
                pct(t.baseline),
            );
            let evidence = dups
                .iter()
                .filter_map(|e| ledger.records().get(e.record as usize))
                .map(|r| r.prospect_id.to_owned())
                .collect();
            pending.push((
                super::Candidate {
                    rep,
                    period,
                    z: t.z,
                },
                ctx.finding(self.name(), rep, period, 0.0, explanation, evidence),
            ));
        }
        super::conclude(ctx, pending, self.z_flag, self.z_persist)
    }
}
