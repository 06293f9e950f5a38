//! The `duplicate_inflation` detector.

use super::baseline::pct;
use super::{DetectContext, Detector, Tested};
use crate::ledger::{EventKind, NONE};

/// The `duplicate_inflation` detector (SPEC §9; see the [module docs](super) for what it
/// catches, how, and its settings in [`DetectConfig`](super::DetectConfig)).
/// Its fields are its fixed thresholds of minimum data and effect size.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DuplicateInflation {
    /// Fewest records entered by the rep in the period (default 10).
    pub(crate) min_records: u32,
    /// Fewest duplicates in the period (default 3: one or two happen to
    /// anyone who does not search before typing).
    pub(crate) min_duplicates: u32,
    /// Smallest excess share over the team median (default 0.1: one
    /// entered record in ten).
    pub(crate) min_excess: f64,
}

impl Default for DuplicateInflation {
    fn default() -> Self {
        Self {
            min_records: 10,
            min_duplicates: 3,
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
    /// Every record of a range of prospects with an entry time and a rep
    /// who entered it (into `out`), the first contact through each record
    /// (into `firsts`), and the contacts through a record entered as a
    /// duplicate by their own rep (into `through_duplicates`): part of the
    /// context's one walk over the prospects' timelines.
    pub(crate) fn entered_in(
        ctx: &DetectContext<'_>,
        prospects: std::ops::Range<u32>,
        out: &mut Vec<Entered>,
        (firsts, through_duplicates): (&mut Vec<u32>, &mut Vec<u32>),
    ) {
        let ledger = ctx.ledger();
        let mut first: Vec<FirstUse> = Vec::new();
        let mut entered: Vec<Entry> = Vec::new();
        for p in prospects {
            let members = ledger.prospect_records(p);
            if let [r] = members
                && Self::lone_record(ctx, p, *r, out, firsts)
            {
                continue;
            }
            first_uses(ledger, p, members, &mut first);
            firsts.extend(first.iter().map(|f| f.3).filter(|&c| c != NONE));
            entries(ledger, &first, &mut entered);
            let judged = out.len();
            Self::judge_entries(ctx, &entered, out);
            let duplicates = out.get(judged..).unwrap_or(&[]);
            if duplicates.iter().any(|e| e.duplicates.is_some()) {
                through_duplicates.extend(contacts_through(ledger, p, duplicates));
            }
        }
    }

    /// A record alone in its prospect duplicates nothing; when it says who
    /// entered it and when, its events need no walk: its first contact is
    /// the prospect's first. Whether it was handled so.
    fn lone_record(
        ctx: &DetectContext<'_>,
        p: u32,
        r: u32,
        out: &mut Vec<Entered>,
        firsts: &mut Vec<u32>,
    ) -> bool {
        let (ledger, records) = (ctx.ledger(), ctx.ledger().records());
        let (Some(at), Some(by)) = (
            records.created_us(r as usize),
            records.created_by(r as usize),
        ) else {
            return false;
        };
        let events = ledger.prospect_events(p);
        if let Some(e) = events.iter().find(|e| e.kind == EventKind::Contact) {
            firsts.push(e.index);
        }
        if let Some(period) = ctx.period_of(at) {
            out.push(Entered {
                record: r,
                rep: by,
                period,
                duplicates: None,
            });
        }
        true
    }

    /// The entries of one prospect's records as [`Entered`]s: known
    /// before when another record of the cluster was created or used
    /// earlier.
    fn judge_entries(ctx: &DetectContext<'_>, entered: &[Entry], out: &mut Vec<Entered>) {
        // The two records known first: the earliest record other than r is
        // the first of them, or the second when r is the first.
        let known_first = two_smallest(
            entered
                .iter()
                .map(|&(o, o_at, o_first, _)| (o_at.unwrap_or(i64::MAX).min(o_first), o)),
        );
        for &(r, at, _, by) in entered {
            let (Some(at), true) = (at, by != NONE) else {
                continue;
            };
            let Some(period) = ctx.period_of(at) else {
                continue;
            };
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
}

/// Per record of one prospect: (record, first event µs, its rep, first
/// contact through it).
type FirstUse = (u32, i64, u32, u32);

/// (record, entry time, first event µs, entered by).
type Entry = (u32, Option<i64>, i64, u32);

/// Each of prospect `p`'s records (`members`, ascending) with its first
/// event, the rep of that event when it is a contact (only a contact opens
/// a record for a rep), and its first contact.
fn first_uses(ledger: &crate::ledger::Ledger, p: u32, members: &[u32], first: &mut Vec<FirstUse>) {
    first.clear();
    first.extend(members.iter().map(|&r| (r, i64::MAX, NONE, NONE)));
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
        {
            if e.time_us < f.1 {
                f.1 = e.time_us;
                f.2 = if e.kind == EventKind::Contact {
                    rep
                } else {
                    NONE
                };
            }
            if e.kind == EventKind::Contact && f.3 == NONE {
                f.3 = e.index;
            }
        }
    }
}

/// The records' entries: the entry time is `created_at`, else the first
/// event; the one who entered it is `created_by`, else the rep of the
/// first contact.
fn entries(ledger: &crate::ledger::Ledger, first: &[FirstUse], entered: &mut Vec<Entry>) {
    let records = ledger.records();
    entered.clear();
    entered.extend(first.iter().map(|&(r, first_us, first_rep, _)| {
        let at = records.created_us(r as usize).unwrap_or(first_us);
        let by = records.created_by(r as usize).unwrap_or(first_rep);
        (r, Some(at).filter(|&t| t != i64::MAX), first_us, by)
    }));
}

/// Prospect `p`'s contacts through a record of `entered` that duplicates
/// another, by the rep who entered it (their rows were read a moment ago
/// by [`first_uses`]).
fn contacts_through<'a>(
    ledger: &'a crate::ledger::Ledger,
    p: u32,
    entered: &[Entered],
) -> impl Iterator<Item = u32> + 'a {
    // Searched, not scanned: a prospect of thousands of records would
    // make a scan per contact quadratic.
    let mut by: Vec<(u32, u32)> = entered
        .iter()
        .filter(|d| d.duplicates.is_some())
        .map(|d| (d.record, d.rep))
        .collect();
    by.sort_unstable();
    let contacts = ledger.contacts();
    ledger
        .prospect_events(p)
        .iter()
        .filter(|e| e.kind == EventKind::Contact)
        .filter_map(move |e| {
            let c = contacts.get(e.index as usize)?;
            by.binary_search(&(c.record, c.rep))
                .is_ok()
                .then_some(e.index)
        })
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

    fn detect(&self, ctx: &DetectContext<'_>) -> Tested {
        let ledger = ctx.ledger();
        // (duplicates, records entered) per (rep, period).
        let counts = &ctx.shared().entered;
        let trials = counts.map(|&(k, n)| (n >= self.min_records).then_some((k, n)));
        let share = counts
            .map(|&(k, n)| (n >= self.min_records).then(|| f64::from(k) / f64::from(n.max(1))));
        // Each (rep, period)'s duplicates, found by a search rather than a
        // scan of every record per candidate.
        let mut dup_of: Vec<(u32, u32, usize, Entered)> = ctx
            .shared()
            .duplicates
            .iter()
            .enumerate()
            .map(|(i, e)| (e.rep, e.period, i, *e))
            .collect();
        dup_of.sort_unstable_by_key(|&(r, p, i, _)| (r, p, i));
        let min_peers = ctx.config().rule.min_peers;
        let cands: Vec<super::Candidate> = counts
            .iter()
            .filter_map(|(rep, period, &(k, _))| {
                let t = ctx.proportion_test(&trials, rep, period, min_peers)?;
                let effect = (t.rate - t.baseline) / self.min_excess;
                let reportable = k >= self.min_duplicates;
                Some(super::Candidate::new(
                    rep, period, t.excess, effect, reportable,
                ))
            })
            .collect();
        super::conclude(ctx, &cands, |c| {
            let (rep, period) = (c.rep, c.period);
            let &(k, n) = counts.get(rep, period)?;
            let t = ctx.proportion_test(&trials, rep, period, min_peers)?;
            let from = dup_of.partition_point(|&(r, p, _, _)| (r, p) < (rep, period));
            let to = dup_of.partition_point(|&(r, p, _, _)| (r, p) <= (rep, period));
            // invariant: partition points, so from <= to <= len.
            #[allow(clippy::indexing_slicing)]
            let dups: Vec<&Entered> = dup_of[from..to]
                .iter()
                .map(|(_, _, _, e)| e)
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
            Some(ctx.finding(self.name(), rep, period, explanation, evidence))
        })
        .or_untested(ctx, self.name(), format!("at least {} prospect records entered in the period and a partition of the records", self.min_records))
    }
}
