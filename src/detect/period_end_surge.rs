//! The `period_end_surge` detector.

use super::baseline::Excess;
use super::baseline::median;
use super::{DetectContext, Detector, Finding, RepPeriod, Tested};

/// The `period_end_surge` detector (SPEC §9; see the [module docs](super) for what it
/// catches, how, and its settings in [`DetectConfig`](super::DetectConfig)).
/// Its fields are its fixed thresholds of minimum data and effect size.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PeriodEndSurge {
    /// Fewest contacts of the rep in the period (default 30).
    pub(crate) min_contacts: u32,
    /// Smallest ratio of the rep's end-of-period intensity to the team
    /// median's, on average over the periods pooled (default 1.3: a third
    /// as much again per day, every period).
    pub(crate) min_ratio: f64,
}

impl Default for PeriodEndSurge {
    fn default() -> Self {
        Self {
            min_contacts: 30,
            min_ratio: 1.3,
        }
    }
}

#[derive(Debug, Clone, Copy, Default)]
struct Counts {
    end_contacts: u32,
    end_days: u32,
    rest_contacts: u32,
    rest_days: u32,
    /// Sum of squared daily counts over the days before the end.
    rest_squares: f64,
}

impl Counts {
    fn add_day(&mut self, n: u32, end: bool) {
        if end {
            self.end_contacts += n;
            self.end_days += 1;
        } else {
            self.rest_contacts += n;
            self.rest_days += 1;
            self.rest_squares += f64::from(n) * f64::from(n);
        }
    }

    fn ratio(&self) -> Option<f64> {
        (self.end_days > 0 && self.rest_days > 0 && self.rest_contacts > 0).then(|| {
            (f64::from(self.end_contacts) / f64::from(self.end_days))
                / (f64::from(self.rest_contacts) / f64::from(self.rest_days))
        })
    }

    /// Sampling variance of the log ratio: the rep's own day-to-day
    /// coefficient of variation (from the days before the end, which a
    /// surge does not touch; at least Poisson's) over the days on each side.
    fn log_ratio_variance(&self) -> f64 {
        let days = f64::from(self.rest_days.max(2));
        let mean = f64::from(self.rest_contacts) / days;
        if mean <= 0.0 {
            return f64::INFINITY;
        }
        let var = ((self.rest_squares - days * mean * mean) / (days - 1.0)).max(mean);
        let cv2 = var / (mean * mean);
        cv2 * (1.0 / f64::from(self.end_days.max(1)) + 1.0 / days)
    }
}

impl Detector for PeriodEndSurge {
    fn name(&self) -> &str {
        "period_end_surge"
    }

    fn detect(&self, ctx: &DetectContext<'_>) -> Tested {
        let ledger = ctx.ledger();
        let ends = self.end_starts(ctx);
        let end_of = |rep: u32, p: u32| -> Option<i32> {
            let i = ends
                .binary_search_by_key(&(group(ledger, rep), p), |&(k, _)| k)
                .ok()?;
            ends.get(i).map(|&(_, s)| s)
        };
        let counts = self.counts(ctx, &end_of);
        let log_ratio = counts.map(|x| {
            if self.enough(x) {
                x.ratio().filter(|r| *r > 0.0).map(f64::ln)
            } else {
                None
            }
        });
        let variance = counts.map(|x| self.enough(x).then(|| x.log_ratio_variance()));
        let tables = (&counts, &log_ratio, &variance);
        let cands: Vec<super::Candidate> = counts
            .iter()
            .filter_map(|(rep, period, _)| {
                let s = self.surge(ctx, tables, rep, period)?;
                let effect = s.d / self.min_ratio.ln();
                Some(super::Candidate::new(rep, period, s.excess, effect, true))
            })
            .collect();
        super::conclude(ctx, &cands, |c| {
            self.finding(ctx, tables, &end_of, (c.rep, c.period))
        })
        .or_untested(
            ctx,
            self.name(),
            format!(
                "at least {} contacts in the period, 2 worked days at its end and 5 before",
                self.min_contacts
            ),
        )
    }
}

/// The group whose working days a rep's period ends are judged by: their
/// team, or, for every rep without one, a group of their own after the
/// teams.
fn group(ledger: &crate::ledger::Ledger, rep: u32) -> u32 {
    ledger.rep_team(rep).unwrap_or(ledger.teams().len() as u32)
}

impl PeriodEndSurge {
    /// The first local day of the end of each (group, period) with enough
    /// working days, sorted by (group, period).
    fn end_starts(&self, ctx: &DetectContext<'_>) -> Vec<((u32, u32), i32)> {
        let ledger = ctx.ledger();
        // Working days per (team, period): the local days anyone in the
        // team logged a contact, as sorted (team, day, period) — gathered
        // from each rep's days, so that memory follows the data, not the
        // calendar span.
        let mut worked: Vec<(u32, i32, u32)> = Vec::new();
        for rep in 0..ledger.reps().len() as u32 {
            let g = group(ledger, rep);
            worked.extend(
                ctx.shared()
                    .rep_days(rep)
                    .iter()
                    .map(|&(d, p, _)| (g, d, p)),
            );
        }
        worked.sort_unstable();
        worked.dedup_by_key(|&mut (g, d, _)| (g, d));
        // A period the data end inside (its last days not yet there) has no
        // end to judge.
        let last_period = ctx.time_span_us().and_then(|(_, last)| {
            let key = ctx.calendar().period(last)?;
            (ctx.calendar().period(last.saturating_add(86_400_000_000)) == Some(key))
                .then(|| ctx.period_of(last))
                .flatten()
        });
        // First day of the end of each (team, period): the end_days-th
        // working day from the period's end, when it has enough days.
        // Periods follow the days, so each (team, period) is one run.
        let mut end_start: Vec<((u32, u32), i32)> = Vec::new();
        for run in worked.chunk_by(|a, b| a.0 == b.0 && a.2 == b.2) {
            let Some(&(g, _, p)) = run.first() else {
                continue;
            };
            let enough = run.len() >= ctx.config().period_end_days + 5;
            if enough
                && ctx.config().period_end_days > 0
                && last_period != Some(p)
                && let Some(&(_, start, _)) = run.get(run.len() - ctx.config().period_end_days)
            {
                end_start.push(((g, p), start));
            }
        }
        end_start
    }

    /// Per rep and period: contacts and days in the period's end and
    /// before it.
    fn counts(
        &self,
        ctx: &DetectContext<'_>,
        end_of: &impl Fn(u32, u32) -> Option<i32>,
    ) -> RepPeriod<Counts> {
        let ledger = ctx.ledger();
        let mut counts = ctx.rep_period::<Counts>();
        for rep in 0..ledger.reps().len() as u32 {
            // The rep's contacts per day, in day order.
            for &(d, p, n) in ctx.shared().rep_days(rep) {
                if let Some(start) = end_of(rep, p)
                    && let Some(x) = counts.get_mut(rep, p)
                {
                    x.add_day(n, d >= start);
                }
            }
        }
        counts
    }

    /// Enough contacts and worked days, at the end and before it, to judge.
    fn enough(&self, x: &Counts) -> bool {
        x.end_contacts + x.rest_contacts >= self.min_contacts && x.end_days >= 2 && x.rest_days >= 5
    }

    /// The rep-period's end-over-rest log ratio against the team's.
    fn surge(
        &self,
        ctx: &DetectContext<'_>,
        (counts, log_ratio, variance): Tables<'_>,
        rep: u32,
        period: u32,
    ) -> Option<Surge> {
        let x = counts.get(rep, period)?;
        let lr = log_ratio.get(rep, period).copied().flatten()?;
        let min_peers = ctx.config().rule.min_peers;
        let team = ctx.peer_baseline(log_ratio, rep, period, min_peers)?;
        // The peers' ratios scatter by their own day-to-day noise too;
        // only the spread beyond it is a difference between reps.
        let mut peer_var = ctx
            .peer_values(variance, rep, period, min_peers)
            .unwrap_or_default();
        let typical = median(&mut peer_var).unwrap_or(0.0);
        let between2 = (team.spread * team.spread - typical).max(0.0);
        // The rep's own day-to-day spread rests on a few weeks: shrunk
        // halfway toward the team's typical one (taking the larger of the
        // two overstated the noise of most reps).
        let own_var = 0.5 * (x.log_ratio_variance() + typical);
        let d = lr - team.median;
        Some(Surge {
            lr,
            team_median: team.median,
            d,
            excess: Excess::of(d, between2.sqrt(), own_var.sqrt()),
        })
    }

    /// The finding of rep `rep` in `period`.
    fn finding(
        &self,
        ctx: &DetectContext<'_>,
        tables: Tables<'_>,
        end_of: &impl Fn(u32, u32) -> Option<i32>,
        (rep, period): (u32, u32),
    ) -> Option<Finding> {
        let ledger = ctx.ledger();
        let (counts, log_ratio, _) = tables;
        let x = counts.get(rep, period)?;
        let s = self.surge(ctx, tables, rep, period)?;
        let own = ctx
            .own_median(log_ratio, rep, period)
            .map_or_else(String::new, |o| {
                format!(", and {:.1}× in their other months", o.exp())
            });
        let end_rate = f64::from(x.end_contacts) / f64::from(x.end_days.max(1));
        let rest_rate = f64::from(x.rest_contacts) / f64::from(x.rest_days.max(1));
        let explanation = format!(
            "In the last {} working days of {} {} logged {:.1} contacts a day against {:.1} a day earlier in the period ({:.1}×), while the team's median rep logged {:.1}× as many{own}.",
            ctx.config().period_end_days,
            ctx.period_label(period),
            ledger.rep_id(rep),
            end_rate,
            rest_rate,
            s.lr.exp(),
            s.team_median.exp(),
        );
        let start = end_of(rep, period);
        let evidence = ctx.contact_ids_in(rep, period, |i| {
            start.is_some_and(|s| ctx.contact_day(i) >= s)
        });
        Some(ctx.finding(self.name(), rep, period, explanation, evidence))
    }
}

/// Per (rep, period): the counts, the log ratio and its variance.
type Tables<'t> = (
    &'t RepPeriod<Counts>,
    &'t RepPeriod<Option<f64>>,
    &'t RepPeriod<Option<f64>>,
);

/// One rep-period's surge against the team.
struct Surge {
    /// The rep's log ratio of end over rest.
    lr: f64,
    /// The team's median log ratio.
    team_median: f64,
    /// The rep's excess log ratio over it.
    d: f64,
    excess: Excess,
}
