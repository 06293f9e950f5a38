//! Gaming detectors (SPEC §9): where a count that people are paid on is
//! being gamed, with evidence a person can check.
//!
//! A [`Detector`] inspects a classified ledger through a [`DetectContext`]
//! (which computes, once, what every detector needs: each contact's period
//! and local day, each rep's contacts in time order) and returns
//! [`Finding`]s: the rep, the period, a score in [0, 1], a one-sentence
//! explanation with the figures, and the ids of the records behind it.
//! [`detect`] runs detectors and returns their [`Findings`], sorted, as a
//! table, CSV, JSON or HTML. The eight built-in detectors are chosen by
//! name with [`by_names`] (`["all"]` for every one); their settings are
//! the fields of [`DetectConfig`].
//!
//! Every built-in detector compares a rep with their team in the same
//! period (median and median absolute deviation of the other reps, or of
//! every other rep when the team has fewer than
//! [`Rule::min_peers`] with enough data), mentions the rep's own usual
//! figure from their other periods, never relies on a fixed number alone,
//! and says nothing when the data are too few to judge. The rep's excess
//! over the team is measured in robust standard deviations that include
//! both the spread between honest reps and the sampling noise of the rep's
//! own counts, so a small month or a quiet team does not turn chance into
//! a finding. A share of events among trials (hollow contacts among
//! contacts, …) is measured as [`Rule::rate_excess`] says.
//!
//! Gaming is a habit, chance is not: a period's evidence is pooled with
//! the rep's periods before it (a scan over trailing windows of one to 24
//! periods, the part of a rep's difference that persists between periods
//! counted once), which gives every judged rep-period a calibrated
//! p-value. Every rep-period any detector of a run judged is a test, and
//! [`detect`] keeps the findings whose Benjamini–Hochberg q-value over all
//! of them is within [`Rule::fdr`] (default 0.05): a team of 500 reps
//! judged over 24 months by eight detectors is 96,000 tests, and still at
//! most one finding in twenty is expected to be an honest rep's bad luck.
//! Each finding carries its `p_value`, `q_value` and a score (0.5 where
//! its evidence stands 4 standard deviations out, 0.75 at 8). This
//! decision rule is public as [`Rule`] (and set for every detector in
//! [`DetectConfig::rule`]), so a caller's own detector flags the same way.
//!
//! # The built-in detectors
//!
//! Each also has fixed thresholds of minimum data, below which it says
//! nothing, and of effect size, which the average over the pooled window
//! must reach for a finding; every one uses [`DetectConfig::rule`],
//! [`DetectConfig::periods`] and [`DetectConfig::max_evidence`].
//!
//! | name | what it catches | method | settings in [`DetectConfig`] |
//! | --- | --- | --- | --- |
//! | `quota_bunching` | daily contact counts piling up exactly at the rep's daily target | days at exactly the target against a smooth counterfactual (negative binomial with the rep's mean and the team's dispersion); Poisson mid-p tail of the excess, and an excess ratio ≥ 2 × the team's median; needs a target, ≥ 10 days worked, ≥ 5 at the target | — |
//! | `follow_up_padding` | follow-ups made because they are easy to count | follow-up share of prospecting contacts against the team's (≥ 4 points above), noise scaled by the run's dispersion, with a follow-up yield (held meetings per follow-up) no better than the team's; ≥ 40 prospecting contacts | [`repeat_touches`](DetectConfig::repeat_touches), [`repeat_window`](DetectConfig::repeat_window) (bursts are left out) |
//! | `repeat_touch` | one conversation logged as several contacts | bursts (that many contacts by one rep with one prospect within the window) per contact against the team's pooled rate, and a share of contacts in bursts ≥ 5 points above; ≥ 30 contacts, ≥ 3 bursts | [`repeat_touches`](DetectConfig::repeat_touches) (3), [`repeat_window`](DetectConfig::repeat_window) (24 h) |
//! | `duplicate_inflation` | prospects who already existed, entered again to count as new | share of the records the rep entered that join a prospect already known, against the team's (≥ 10 points above); ≥ 10 records, ≥ 3 duplicates; needs a partition of the records | — |
//! | `backdating` | contacts typed in long after they happened, in one sitting | shares of late and of batched entries against the team's (≥ 10 points above); ≥ 30 contacts with a `logged_at`, ≥ 5 late or batched | [`late_after`](DetectConfig::late_after) (24 h), [`batch_gap`](DetectConfig::batch_gap) (20 s) |
//! | `period_end_surge` | the period's work piled into its last days | contacts per day worked at the end over before it, log ratio against the team's; ≥ 1.3 × the team's median ratio; ≥ 30 contacts | [`period_end_days`](DetectConfig::period_end_days) (5) |
//! | `hollow_contacts` | contacts with nothing in them | share of contacts with no outcome and no or a few seconds' duration, against the team's (≥ 5 points above); ≥ 30 contacts | [`hollow_max_duration`](DetectConfig::hollow_max_duration) (30 s) |
//! | `meeting_underreporting` | the meetings that did not close are missing | share of held meetings whose prospect bought afterwards, over a trailing window, against the team's (≥ 25 points above), with the share of bookings no meeting follows (≥ 10 points above); ≥ 10 held meetings | [`meeting_window_periods`](DetectConfig::meeting_window_periods) (6), [`booking_window`](DetectConfig::booking_window) (30 days) |
//!
//! **`quota_bunching`.** A rep judged on reaching a daily target of `T`
//! contacts stops at `T` on a good day and scrambles up to `T` with quick
//! extra contacts on a day that falls a little short: days move *to* the
//! target from both sides. The detector counts the days the rep logged
//! exactly `T` (their `daily_contact_target`) against the number a smooth
//! counterfactual distribution of daily counts expects — an excess-mass
//! estimate, as in the literature on bunching at tax kinks. The
//! counterfactual is a negative binomial whose mean is the rep's own mean
//! daily count in the period (bunching keeps the mean) and whose
//! over-dispersion is the team's median (the rep's own spread is what
//! bunching destroys). The excess must be significant (Poisson tail of the
//! observed days given the expected, as a z-score) *and* its ratio
//! (observed ÷ expected) at least twice the team's median ratio at their
//! own targets: a team whose counts heap at the target for an innocent
//! reason (a dialler that stops at `T`) sets the norm. The days just above
//! the target are quoted beside it: bunching leaves them short. The tail
//! is a mid-p (half the point mass at the observed count), so a count as
//! expected is no evidence either way and months pool without the
//! discreteness of small counts piling up.
//!
//! **`follow_up_padding`.** Calling a known prospect is easier than
//! finding a new one, and every call counts. Two figures per rep and
//! period, both needed: the follow-up share of prospecting — follow-ups ÷
//! contacts that were `new`, `follow_up` or `reactivated` (customer care
//! is left out, so are contacts through a record the rep entered for a
//! prospect already known, follow-ups that are the first contact through
//! their record — `duplicate_inflation`'s case — and contacts inside a
//! `repeat_touch` burst) — far above the team's; and the follow-up yield
//! — held meetings ÷ follow-ups — no better than the team's median: a rep
//! whose many follow-ups produce meetings works a long sales cycle. A
//! rep's follow-up share is set by their pipeline more than by chance
//! (the follow-ups that are due fill the day first), so it varies less
//! than binomial noise from month to month; the noise is scaled by the
//! run's own dispersion (quasi-binomial, read off the honest majority's
//! z-scores, never below 0.55 of binomial), or a padder's excess would
//! hide in noise that is not there.
//!
//! **`repeat_touch`.** Every logged contact counts, so a rep splits one
//! conversation into several entries with the same prospect within hours.
//! A burst is [`DetectConfig::repeat_touches`] or more contacts by one rep
//! with one prospect (cluster) within [`DetectConfig::repeat_window`]; two
//! touches in a day are normal (no answer, call back). The unit of the
//! behaviour is the burst, so bursts per contact are tested. Bursts are
//! rare for honest reps — most months have none — so the team's baseline
//! borrows strength from the whole team (each peer's rate shrunk toward
//! the team's pooled rate, empirical Bayes) rather than assuming half a
//! burst a month.
//!
//! **`duplicate_inflation`.** Where new records count as new prospects, a
//! rep types a known prospect in again — a colleague's, a dormant one of
//! their own — with the name order swapped or the e-mail changed. The
//! records *entered by* the rep in the period (`created_by` the rep, or,
//! where it is empty, first contacted by the rep through that record), and
//! the share of them that land in a prospect of the ledger's partition
//! (deduplication or supplied clusters) that was known before the record
//! was entered (another record of it was created, or had an event,
//! earlier; the entry time is `created_at`, else the first event). With
//! every record its own prospect it says nothing.
//!
//! **`backdating`.** A rep who does not log as they go enters several days
//! of contacts at once, from memory. Of the rep's contacts in the period
//! that have a `logged_at`: the share *late* — logged more than
//! [`DetectConfig::late_after`] after they occurred — and the share
//! *batched* — logged within [`DetectConfig::batch_gap`] of another of the
//! rep's entries that occurred at a different time. Either far above the
//! team's makes a finding, so a CRM that imports e-mails for everyone, or
//! a team that logs every evening, is the norm rather than a finding.
//!
//! **`period_end_surge`.** A rep judged on a monthly count slackens early
//! and makes up for it in the last days. Their contacts per day worked in
//! the last [`DetectConfig::period_end_days`] working days of the period
//! (days on which anyone in the team logged a contact), over their
//! contacts per day worked earlier; at least 2 worked days at the end and
//! 5 before it, and a period the data end inside is skipped. The log ratio
//! is measured against the team's spread (less the part their day-to-day
//! noise explains) and the rep's own day-to-day noise, so a busy week by
//! chance is not a surge.
//!
//! **`hollow_contacts`.** A rep short of the target logs dials that went
//! nowhere, or entries that were never calls: `outcome` absent *and*
//! `duration_s` absent or at most [`DetectConfig::hollow_max_duration`].
//! An honest unanswered call carries the outcome `no_answer`; an honest
//! e-mail without a duration carries an outcome.
//!
//! **`meeting_underreporting`.** A rep judged on the meeting close rate
//! logs the meetings that led to a sale and leaves out the others. Of the
//! rep's held meetings in the period and the
//! [`DetectConfig::meeting_window_periods`] − 1 before it, the share whose
//! prospect bought afterwards (by anyone, at or after the meeting); sales
//! without a logged meeting do not enter. Where contacts record outcomes,
//! the share of the rep's bookings (outcome `meeting_booked`) that no
//! meeting of the prospect follows within [`DetectConfig::booking_window`]
//! corroborates (the two z-scores summed, Stouffer), and either share far
//! enough above the team's is an effect worth a finding. Adjacent windows
//! share most of their meetings, so the window already pools: its
//! evidence stands alone rather than being pooled again.
//!
//! Detectors are pluggable: a caller's own type implements [`Detector`] and
//! runs beside the built-in ones.
//!
//! # Example
//! ```
//! use sales_metrics::detect::{self, DetectConfig, DetectContext};
//! use sales_metrics::{classify, ClassifyConfig};
//!
//! # #[cfg(feature = "sim")] {
//! let ledger = sales_metrics::sim::demo()?.ledger()?;
//! let classified = classify(&ledger, &ClassifyConfig::default());
//! let ctx = DetectContext::new(&classified, &DetectConfig::default())?;
//! let findings = detect::detect(&ctx, &detect::by_names(["all"])?);
//! assert!(findings.iter().any(|f| f.detector == "hollow_contacts" && f.rep_id == "florin"));
//! let mut csv = Vec::new();
//! findings.write_csv(&mut csv)?;
//! # }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod backdating;
mod baseline;
mod context;
mod duplicate_inflation;
mod finding;
mod follow_up_padding;
mod hollow_contacts;
mod meeting_underreporting;
mod period_end_surge;
mod quota_bunching;
mod rep_period;
mod repeat_touch;
mod rule;
mod shared;

use std::sync::Arc;

use chrono::TimeDelta;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::report::scope::PeriodSpec;

pub use baseline::Excess;
pub use context::DetectContext;
pub use finding::{Finding, Findings, Tested};
pub use rule::{Judged, Rule};

use backdating::Backdating;
use duplicate_inflation::DuplicateInflation;
use follow_up_padding::FollowUpPadding;
pub(crate) use hollow_contacts::HollowContacts;
use meeting_underreporting::MeetingUnderreporting;
use period_end_surge::PeriodEndSurge;
use quota_bunching::QuotaBunching;
use repeat_touch::RepeatTouch;

pub(crate) use context::map_prospect_chunks;
pub(crate) use rep_period::RepPeriod;
pub(crate) use rule::{Candidate, conclude};

/// A gaming heuristic: reads the classified ledger, returns findings.
///
/// The trait is object-safe; `Box<dyn Detector>`, `Arc<dyn Detector>` and
/// `&dyn Detector` are detectors too, so a caller's own detector runs
/// beside the built-in ones.
///
/// # Example
///
/// A detector that flags every rep who logged nothing; for one that
/// compares reps with their team and decides as the built-in detectors do,
/// see [`Rule`].
/// ```
/// use sales_metrics::detect::{self, DetectConfig, DetectContext, Detector, Finding, Tested};
/// use sales_metrics::{classify, ClassifyConfig, LedgerBuilder, Rep};
///
/// /// Flags reps who logged nothing at all.
/// struct Silent;
///
/// impl Detector for Silent {
///     fn name(&self) -> &str {
///         "silent"
///     }
///     fn detect(&self, ctx: &DetectContext<'_>) -> Tested {
///         ctx.reps()
///             .filter(|rep| ctx.contacts_of(rep).next().is_none())
///             .map(|rep| Finding::new(self.name(), rep, "", format!("{rep} logged no contacts"), Vec::new()))
///             .collect::<Vec<_>>()
///             .into() // facts, not tests: each stands (p-value 0)
///     }
/// }
///
/// let mut b = LedgerBuilder::new();
/// b.add_rep(Rep::new("ana"));
/// let ledger = b.build()?;
/// let classified = classify(&ledger, &ClassifyConfig::default());
/// let ctx = DetectContext::new(&classified, &DetectConfig::default())?;
/// let mut detectors = detect::by_names(["all"])?;
/// detectors.push(Box::new(Silent));
/// let findings = detect::detect(&ctx, &detectors);
/// assert_eq!(findings.len(), 1);
/// assert_eq!(findings[0].detector, "silent");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait Detector: Send + Sync {
    /// A short snake_case name, written in the `detector` column.
    fn name(&self) -> &str;

    /// The rep-periods tested on this ledger and the findings that may
    /// stand, in any order (the runner holds them to the run's false
    /// discovery rate and sorts them).
    fn detect(&self, ctx: &DetectContext<'_>) -> Tested;
}

impl<T: Detector + ?Sized> Detector for Box<T> {
    fn name(&self) -> &str {
        (**self).name()
    }
    fn detect(&self, ctx: &DetectContext<'_>) -> Tested {
        (**self).detect(ctx)
    }
}

impl<T: Detector + ?Sized> Detector for Arc<T> {
    fn name(&self) -> &str {
        (**self).name()
    }
    fn detect(&self, ctx: &DetectContext<'_>) -> Tested {
        (**self).detect(ctx)
    }
}

impl<T: Detector + ?Sized> Detector for &T {
    fn name(&self) -> &str {
        (**self).name()
    }
    fn detect(&self, ctx: &DetectContext<'_>) -> Tested {
        (**self).detect(ctx)
    }
}

/// The settings of a detection run: the periods, the decision [`Rule`],
/// and what the built-in detectors count as late, hollow, a burst, the end
/// of a period (the [module docs](self) say which detector reads which).
///
/// A serialised config may leave out any field: it takes its default (so
/// a 0.1 config, which held only `periods` and `max_evidence`, still reads).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DetectConfig {
    /// The periods findings are about and the time zone of local days
    /// (default: calendar months in UTC).
    pub periods: PeriodSpec,
    /// At most this many record ids per finding (default 50); the
    /// explanation always gives the full count.
    pub max_evidence: usize,
    /// The decision rule of every built-in detector (default: flag from
    /// z = 4, runs of adjacent periods from 1.5, at least 3 peers), and the
    /// one a caller's detector reads to flag the same way.
    pub rule: Rule,
    /// `backdating`: a contact logged more than this long after it
    /// occurred is late (default 24 hours: an evening's or the next
    /// morning's catch-up is within it).
    pub late_after: TimeDelta,
    /// `backdating`: entries logged this close to another entry of the rep
    /// or closer are batched (default 20 seconds: typing a contact with its
    /// channel, duration and outcome takes longer).
    pub batch_gap: TimeDelta,
    /// `hollow_contacts`: a contact without outcome lasting at most this
    /// long is hollow (default 30 seconds: shorter than any conversation,
    /// longer than a dial that rings out and is hung up).
    pub hollow_max_duration: TimeDelta,
    /// `repeat_touch` (and `follow_up_padding`, which leaves bursts out):
    /// this many contacts by one rep with one prospect within
    /// [`repeat_window`](DetectConfig::repeat_window) make a burst
    /// (default 3, SPEC §9).
    pub repeat_touches: usize,
    /// `repeat_touch`: the window of a burst (default 24 hours, SPEC §9).
    pub repeat_window: TimeDelta,
    /// `period_end_surge`: the period's last working days that count as
    /// its end (default 5: the last week, whether the surge takes three
    /// days or seven).
    pub period_end_days: usize,
    /// `meeting_underreporting`: periods in the trailing window of meetings
    /// judged together (default 6: half a year of months — a rep holds a
    /// few meetings a month, and a share of a few is noise).
    pub meeting_window_periods: usize,
    /// `meeting_underreporting`: a booking (contact with outcome
    /// `meeting_booked`) counts as logged when any meeting of the prospect
    /// follows within this long (default 30 days).
    pub booking_window: TimeDelta,
}

impl Default for DetectConfig {
    fn default() -> Self {
        Self {
            periods: PeriodSpec::monthly(),
            max_evidence: 50,
            rule: Rule::default(),
            late_after: TimeDelta::hours(24),
            batch_gap: TimeDelta::seconds(20),
            hollow_max_duration: TimeDelta::seconds(30),
            repeat_touches: 3,
            repeat_window: TimeDelta::hours(24),
            period_end_days: 5,
            meeting_window_periods: 6,
            booking_window: TimeDelta::days(30),
        }
    }
}

/// A length of time in µs, saturating beyond the ±292,000 years an `i64`
/// of µs holds.
pub(crate) fn micros(d: chrono::TimeDelta) -> i64 {
    d.num_microseconds()
        .unwrap_or(if d < chrono::TimeDelta::zero() {
            i64::MIN
        } else {
            i64::MAX
        })
}

/// A length of time in hours for an explanation: `24`, or `1.5` when not
/// whole.
pub(crate) fn hours(d: chrono::TimeDelta) -> String {
    whole_or_decimal(d, chrono::TimeDelta::hours(1))
}

/// A length of time in seconds for an explanation: `30`, or `0.5` when not
/// whole.
pub(crate) fn seconds(d: chrono::TimeDelta) -> String {
    whole_or_decimal(d, chrono::TimeDelta::seconds(1))
}

fn whole_or_decimal(d: chrono::TimeDelta, unit: chrono::TimeDelta) -> String {
    let (n, u) = (micros(d), micros(unit));
    if n % u == 0 {
        (n / u).to_string()
    } else {
        format!("{}", n as f64 / u as f64)
    }
}

/// Runs `detectors` (in parallel with feature `parallel`) on `ctx` and
/// returns the findings that stand, sorted by detector, rep id and period
/// (byte order), then by descending score: deterministic whatever the
/// detectors' own order.
///
/// Every rep-period any detector tested is one hypothesis of the run: the
/// candidates' p-values become Benjamini–Hochberg q-values over all of
/// them (tests without a candidate count with p-value 1), and the findings
/// with `q ≤` [`Rule::fdr`] stand, each with its `q_value` and its p- and
/// q-value at the end of its explanation. Scores are clamped to [0, 1]
/// (NaN becomes 0); the detectors' notes on what they could not test come
/// along ([`Findings::notes`]).
///
/// A context is built once and serves any number of runs.
pub fn detect<D: Detector>(ctx: &DetectContext<'_>, detectors: &[D]) -> Findings {
    let runs = crate::par::map(detectors, |d| d.detect(ctx));
    let tests: usize = runs.iter().map(|r| r.tests).sum();
    let mut notes: Vec<String> = Vec::new();
    let mut all: Vec<Finding> = Vec::new();
    for run in runs {
        notes.extend(run.notes);
        all.extend(run.candidates);
    }
    let tests = tests.max(all.len());
    let mut all = benjamini_hochberg(all, tests, ctx.config().rule.fdr);
    for f in &mut all {
        f.score = if f.score.is_nan() {
            0.0
        } else {
            f.score.clamp(0.0, 1.0)
        };
        f.evidence.sort_unstable();
        if f.p_value > 0.0 {
            f.explanation.push_str(&format!(
                " p = {}, q = {}.",
                sig2(f.p_value),
                sig2(f.q_value)
            ));
        }
    }
    all.sort_by(Finding::order);
    notes.sort_unstable();
    notes.dedup();
    Findings::with_tests(all, tests, notes)
}

/// The candidates whose Benjamini–Hochberg q-value over `tests` hypotheses
/// is at most `fdr`, with their `q_value` set. A NaN p-value counts as 1.
fn benjamini_hochberg(mut candidates: Vec<Finding>, tests: usize, fdr: f64) -> Vec<Finding> {
    for f in &mut candidates {
        f.p_value = if f.p_value.is_nan() {
            1.0
        } else {
            f.p_value.clamp(0.0, 1.0)
        };
    }
    candidates.sort_by(|a, b| a.p_value.total_cmp(&b.p_value));
    // q of rank i: the smallest m·p(j)/j over ranks j ≥ i.
    let m = tests as f64;
    let mut running = 1.0f64;
    for (rank, f) in candidates.iter_mut().enumerate().rev() {
        running = running.min(m * f.p_value / (rank + 1) as f64);
        f.q_value = running.min(1.0);
    }
    candidates.retain(|f| f.q_value <= fdr);
    candidates
}

/// A probability with two significant digits: `0.031`, `2.4e-7`.
fn sig2(p: f64) -> String {
    if p >= 1e-3 {
        let digits = (-p.log10().floor()) as usize + 1;
        format!("{p:.digits$}")
    } else {
        format!("{p:.1e}")
    }
}

/// The eight built-in detectors of SPEC §9 in SPEC order.
fn builtin() -> [Box<dyn Detector>; 8] {
    [
        Box::new(QuotaBunching::default()),
        Box::new(FollowUpPadding::default()),
        Box::new(RepeatTouch::default()),
        Box::new(DuplicateInflation::default()),
        Box::new(Backdating::default()),
        Box::new(PeriodEndSurge::default()),
        Box::new(HollowContacts::default()),
        Box::new(MeetingUnderreporting::default()),
    ]
}

/// The built-in detectors with these names (the table in the [module
/// docs](self)), in the order given, each once; `all` stands for every
/// one, in SPEC order. Names are matched without regard to ASCII case or
/// surrounding spaces; empty names are skipped, so no names choose no
/// detector. They run with the settings of the [`DetectContext`]'s
/// [`DetectConfig`].
///
/// ```
/// use sales_metrics::detect;
///
/// assert_eq!(detect::by_names(["all"])?.len(), 8);
/// let chosen = detect::by_names("backdating, hollow_contacts".split(','))?;
/// let names: Vec<&str> = chosen.iter().map(|d| d.name()).collect();
/// assert_eq!(names, ["backdating", "hollow_contacts"]);
/// assert!(detect::by_names(["backdate"]).is_err());
/// # Ok::<(), sales_metrics::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidArgument`] naming an unknown detector and the known ones.
pub fn by_names<I>(names: I) -> Result<Vec<Box<dyn Detector>>>
where
    I: IntoIterator,
    I::Item: AsRef<str>,
{
    let mut chosen: Vec<Box<dyn Detector>> = Vec::new();
    for name in names {
        let name = name.as_ref().trim();
        let picked: Vec<Box<dyn Detector>> = if name.is_empty() {
            Vec::new()
        } else if name.eq_ignore_ascii_case("all") {
            builtin().into_iter().collect()
        } else {
            let d = builtin()
                .into_iter()
                .find(|d| d.name().eq_ignore_ascii_case(name))
                .ok_or_else(|| {
                    let known: Vec<String> =
                        builtin().iter().map(|d| d.name().to_owned()).collect();
                    Error::invalid(
                        "detectors",
                        format!(
                            "unknown detector {name:?}; known: all, {}",
                            known.join(", ")
                        ),
                    )
                })?;
            vec![d]
        };
        for d in picked {
            if !chosen.iter().any(|c| c.name() == d.name()) {
                chosen.push(d);
            }
        }
    }
    Ok(chosen)
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;

    use super::*;

    #[test]
    fn lengths_of_time_read_as_before() {
        assert_eq!(hours(TimeDelta::hours(24)), "24");
        assert_eq!(hours(TimeDelta::minutes(90)), "1.5");
        assert_eq!(seconds(TimeDelta::seconds(20)), "20");
        assert_eq!(micros(TimeDelta::hours(24)), 24 * 3_600 * 1_000_000);
        assert_eq!(micros(TimeDelta::MAX), i64::MAX);
        assert_eq!(micros(TimeDelta::MIN), i64::MIN);
        let floor = hollow_contacts::max_duration_s;
        assert_eq!(floor(TimeDelta::seconds(30)), 30);
        assert_eq!(floor(TimeDelta::milliseconds(30_500)), 30);
        assert_eq!(floor(TimeDelta::milliseconds(-500)), -1);
    }
}

#[cfg(test)]
mod fdr_tests {
    use super::*;

    fn with_p(p: f64) -> Finding {
        let mut f = Finding::new("d", "r", "2026-01", "x.", Vec::new());
        f.p_value = p;
        f
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(128))]

        #[test]
        fn q_values_are_the_benjamini_hochberg_ones(
            ps in proptest::collection::vec(0.0f64..0.2, 0..30),
            extra in 0usize..100,
        ) {
            let m = ps.len() + extra;
            let kept = benjamini_hochberg(ps.iter().map(|&p| with_p(p)).collect(), m, 1.0);
            proptest::prop_assert_eq!(kept.len(), ps.len());
            // The textbook definition: q(p) = min over p' ≥ p of m·p' / rank(p').
            let mut sorted = ps.clone();
            sorted.sort_by(f64::total_cmp);
            for f in &kept {
                let q = sorted
                    .iter()
                    .enumerate()
                    .filter(|&(_, &p)| p >= f.p_value)
                    .map(|(i, &p)| m as f64 * p / (i + 1) as f64)
                    .fold(1.0f64, f64::min);
                proptest::prop_assert!((f.q_value - q).abs() < 1e-12, "{} {}", f.q_value, q);
                proptest::prop_assert!(f.q_value >= f.p_value - 1e-15);
            }
            // A stricter rate keeps a subset: those with q within it.
            let strict = benjamini_hochberg(ps.iter().map(|&p| with_p(p)).collect(), m, 0.05);
            proptest::prop_assert!(strict.iter().all(|f| f.q_value <= 0.05));
            proptest::prop_assert_eq!(strict.len(), kept.iter().filter(|f| f.q_value <= 0.05).count());
        }
    }

    #[test]
    fn probabilities_print_with_two_significant_digits() {
        assert_eq!(sig2(0.031_24), "0.031");
        assert_eq!(sig2(0.5), "0.50");
        assert_eq!(sig2(2.4e-7), "2.4e-7");
    }
}
