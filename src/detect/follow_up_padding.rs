//! The `follow_up_padding` detector.

use super::baseline::{median, pct};
use super::{DetectContext, Detector, Finding, RepPeriod, Tested};
use crate::classify::ContactClass;
use crate::model::MeetingStatus;

/// The `follow_up_padding` detector (SPEC §9; see the [module docs](super) for what it
/// catches, how, and its settings in [`DetectConfig`](super::DetectConfig)).
/// Its fields are its fixed thresholds of minimum data and effect size.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FollowUpPadding {
    /// Fewest prospecting contacts of the rep in the period (default 40:
    /// the share of a smaller month moves by several points on chance).
    pub(crate) min_contacts: u32,
    /// Smallest excess share over the team median (default 0.08: pipelines
    /// differ, and a few points of follow-up share are normal variation
    /// between honest reps).
    pub(crate) min_excess: f64,
}

impl Default for FollowUpPadding {
    fn default() -> Self {
        Self {
            min_contacts: 40,
            min_excess: 0.04,
        }
    }
}

#[derive(Debug, Clone, Copy, Default)]
struct Counts {
    prospecting: u32,
    follow_ups: u32,
    meetings_held: u32,
}

impl Detector for FollowUpPadding {
    fn name(&self) -> &str {
        "follow_up_padding"
    }

    fn detect(&self, ctx: &DetectContext<'_>) -> Tested {
        let counts = self.counts(ctx);
        let figures = Figures::of(self, &counts);
        let cands = with_dispersion(self.judge(ctx, &figures));
        super::conclude(ctx, &cands, |c| {
            self.finding(ctx, &counts, &figures, (c.rep, c.period))
        })
        .or_untested(
            ctx,
            self.name(),
            format!(
                "at least {} prospecting contacts in the period",
                self.min_contacts
            ),
        )
    }
}

impl FollowUpPadding {
    /// Per rep and period: prospecting contacts, follow-ups among them
    /// (those not left out as another detector's business: contacts
    /// through a record the rep entered for a prospect already known are
    /// `duplicate_inflation`'s, and so is the first contact through each
    /// record; touches inside a repeat-touch burst are one conversation in
    /// several entries, `repeat_touch`'s), held meetings.
    fn counts(&self, ctx: &DetectContext<'_>) -> RepPeriod<Counts> {
        let ledger = ctx.ledger();
        let mut counts = ctx.shared().counts.map(|x| Counts {
            prospecting: x.prospecting,
            follow_ups: x.follow_ups,
            meetings_held: 0,
        });
        for (i, m) in ledger.meetings().iter().enumerate() {
            if m.status != MeetingStatus::Held {
                continue;
            }
            if let Some(p) = ctx.meeting_period(i as u32)
                && let Some(x) = counts.get_mut(m.rep, p)
            {
                x.meetings_held += 1;
            }
        }
        counts
    }

    /// Every rep-period with enough prospecting, judged: the follow-up
    /// share against the team's, which may become a finding only where
    /// the follow-ups are no more productive than the team's.
    fn judge(&self, ctx: &DetectContext<'_>, figures: &Figures) -> Vec<super::Candidate> {
        let min_peers = ctx.config().rule.min_peers;
        figures
            .trials
            .iter()
            .filter_map(|(rep, period, _)| {
                let t = ctx.proportion_test(&figures.trials, rep, period, min_peers)?;
                let effect = (t.rate - t.baseline) / self.min_excess;
                // The extra follow-ups must also be unproductive.
                let unproductive = figures
                    .team_yield(ctx, rep, period)
                    .is_some_and(|team| figures.yield_of(rep, period) <= team);
                Some(super::Candidate::new(
                    rep,
                    period,
                    t.excess,
                    effect,
                    unproductive,
                ))
            })
            .collect()
    }

    /// The finding of rep `rep` in `period`.
    fn finding(
        &self,
        ctx: &DetectContext<'_>,
        counts: &RepPeriod<Counts>,
        figures: &Figures,
        (rep, period): (u32, u32),
    ) -> Option<Finding> {
        let ledger = ctx.ledger();
        let classified = ctx.classified();
        let x = counts.get(rep, period)?;
        let t = ctx.proportion_test(&figures.trials, rep, period, ctx.config().rule.min_peers)?;
        let team_yield = figures.team_yield(ctx, rep, period)?;
        let y = figures.yield_of(rep, period);
        let own = ctx
            .own_median(&figures.share, rep, period)
            .map_or_else(String::new, |o| {
                format!("; {} in their other months", pct(o))
            });
        let explanation = format!(
            "In {} {} made {} follow-ups in {} prospecting contacts ({}) against {} for the team's median rep{own}, with {} held meetings ({:.1} per 100 follow-ups against the team's {:.1}).",
            ctx.period_label(period),
            ledger.rep_id(rep),
            x.follow_ups,
            x.prospecting,
            pct(t.rate),
            pct(t.baseline),
            x.meetings_held,
            100.0 * y,
            100.0 * team_yield,
        );
        // Evidence: the period's follow-ups of prospects that never got
        // to a held meeting in that engagement.
        let contacts = ledger.contacts();
        let is_left_out = |i: u32| contacts.get(i as usize).is_none() || ctx.shared().left_out(i);
        let evidence = ctx.contact_ids_in(rep, period, |i| {
            classified.class_at(i) == Some(ContactClass::FollowUp)
                && !is_left_out(i)
                && classified
                    .contact_engagement(i)
                    .and_then(|e| classified.engagement(e))
                    .is_none_or(|e| !e.met())
        });
        Some(ctx.finding(self.name(), rep, period, explanation, evidence))
    }
}

/// The per-(rep, period) figures of the rep-periods with enough
/// prospecting.
struct Figures {
    /// (follow-ups, prospecting contacts).
    trials: RepPeriod<Option<(u32, u32)>>,
    /// Follow-up share of prospecting.
    share: RepPeriod<Option<f64>>,
    /// Held meetings per follow-up.
    yield_: RepPeriod<Option<f64>>,
}

impl Figures {
    fn of(d: &FollowUpPadding, counts: &RepPeriod<Counts>) -> Figures {
        let enough = |x: &Counts| x.prospecting >= d.min_contacts;
        Figures {
            trials: counts.map(|x| enough(x).then_some((x.follow_ups, x.prospecting))),
            share: counts.map(|x| {
                enough(x).then(|| f64::from(x.follow_ups) / f64::from(x.prospecting.max(1)))
            }),
            yield_: counts.map(|x| {
                (enough(x) && x.follow_ups > 0)
                    .then(|| f64::from(x.meetings_held) / f64::from(x.follow_ups))
            }),
        }
    }

    /// The rep's follow-up yield (0 without follow-ups).
    fn yield_of(&self, rep: u32, period: u32) -> f64 {
        self.yield_
            .get(rep, period)
            .copied()
            .flatten()
            .unwrap_or(0.0)
    }

    /// The median follow-up yield of the rep's peers in the period.
    fn team_yield(&self, ctx: &DetectContext<'_>, rep: u32, period: u32) -> Option<f64> {
        let mut peer_yields: Vec<f64> = ctx
            .peers(rep, ctx.config().rule.min_peers)
            .iter()
            .filter_map(|&r| self.yield_.get(r, period).copied().flatten())
            .collect();
        median(&mut peer_yields)
    }
}

/// The candidates with their z-scores rescaled by the run's dispersion of
/// follow-up shares.
///
/// A rep's follow-up share is set by their pipeline more than by chance
/// (the follow-ups that are due fill the day first), so from month to
/// month it varies less than the binomial noise the z-scores assume, and
/// they come out too small: a padder's real excess would hide in noise
/// that is not there. The run's dispersion is read off its own z-scores —
/// their upper decile, which is the honest majority's, against the normal
/// one's (1.28) — and the z-scores are divided by it, never by less than
/// 0.55 nor by more than 1 (quasi-binomial: a spread wider than binomial
/// is the between-rep spread the baseline already counts). With fewer than
/// 20 rep-periods there is no estimate and nothing changes.
fn with_dispersion(mut cands: Vec<super::Candidate>) -> Vec<super::Candidate> {
    let mut zs: Vec<f64> = cands
        .iter()
        .map(|c| c.excess.z)
        .filter(|z| z.is_finite())
        .collect();
    if zs.len() < 20 {
        return cands;
    }
    zs.sort_by(f64::total_cmp);
    let upper_decile = zs
        .get(zs.len() * 9 / 10)
        .copied()
        .unwrap_or(NORMAL_UPPER_DECILE);
    let dispersion = (upper_decile / NORMAL_UPPER_DECILE).clamp(0.55, 1.0);
    for c in &mut cands {
        c.excess.z /= dispersion;
    }
    cands
}

/// The upper decile of a standard normal.
const NORMAL_UPPER_DECILE: f64 = 1.281_551_565_5;
