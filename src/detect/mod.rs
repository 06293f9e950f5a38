//! Gaming detectors (SPEC §9): where a count that people are paid on is
//! being gamed, with evidence a person can check.
//!
//! A [`Detector`] inspects a classified ledger through a [`DetectContext`]
//! (which computes, once, what every detector needs: each contact's period
//! and local day, each rep's contacts in time order) and returns
//! [`Finding`]s: the rep, the period, a score in [0, 1], a one-sentence
//! explanation with the figures, and the ids of the records behind it.
//! [`detect`] runs detectors and returns their [`Findings`], sorted, as a
//! table, CSV, JSON or HTML.
//!
//! Every built-in detector compares a rep with their team in the same
//! period (median and median absolute deviation of the other reps, see
//! [`Baseline`]), mentions the rep's own usual figure from their other
//! periods, never relies on a fixed number alone, and says nothing when the
//! data are too few to judge. The rep's excess over the team is measured
//! in robust standard deviations that include both the spread between
//! honest reps and the sampling noise of the rep's own counts, so a small
//! month or a quiet team does not turn chance into a finding.
//!
//! A rep-period becomes a finding when that z-score reaches the detector's
//! `z_flag` (default 4), or when it is at least `z_persist` (default 1.5)
//! in a run of two to four adjacent periods of the rep, each at least
//! `z_persist`, whose Stouffer sum `Σz / √n` reaches `z_flag`: gaming is a
//! habit, chance is not, and for an honest rep either event is about as
//! rare as a normal tail beyond 4 (3 in 100,000). The score is
//! `1 − 0.5^(z / z_flag)`: 0.5 at the threshold, 0.75 at twice it. This
//! decision rule is public as [`Rule`], so a caller's own detector flags
//! the same way.
//!
//! The built-in set ([`builtin`]):
//!
//! | detector | behaviour |
//! | --- | --- |
//! | [`QuotaBunching`] | daily contact counts piling up exactly at the daily target (excess mass against a smooth counterfactual) |
//! | [`FollowUpPadding`] | a follow-up share far above the team's, with few meetings coming from them |
//! | [`RepeatTouch`] | the same prospect contacted 3 or more times within 24 h |
//! | [`DuplicateInflation`] | records entered for prospects who already existed |
//! | [`Backdating`] | contacts logged long after they occurred, or many logged seconds apart |
//! | [`PeriodEndSurge`] | activity piled into the last working days of the period |
//! | [`HollowContacts`] | contacts with no outcome and no or a few seconds' duration |
//! | [`MeetingUnderreporting`] | nearly every logged meeting closes: the ones that did not are missing |
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
//! let findings = detect::detect(&ctx, &detect::builtin());
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

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::report::scope::PeriodSpec;

pub use backdating::Backdating;
pub use baseline::Baseline;
pub use context::DetectContext;
pub use duplicate_inflation::DuplicateInflation;
pub use finding::{Finding, Findings};
pub use follow_up_padding::FollowUpPadding;
pub use hollow_contacts::HollowContacts;
pub use meeting_underreporting::MeetingUnderreporting;
pub use period_end_surge::PeriodEndSurge;
pub use quota_bunching::QuotaBunching;
pub use repeat_touch::RepeatTouch;
pub use rule::Rule;

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
/// use sales_metrics::detect::{self, DetectConfig, DetectContext, Detector, Finding};
/// use sales_metrics::{classify, ClassifyConfig, LedgerBuilder, Rep};
///
/// /// Flags reps who logged nothing at all.
/// struct Silent;
///
/// impl Detector for Silent {
///     fn name(&self) -> &str {
///         "silent"
///     }
///     fn detect(&self, ctx: &DetectContext<'_>) -> Vec<Finding> {
///         ctx.reps()
///             .filter(|rep| ctx.contacts_of(rep).next().is_none())
///             .map(|rep| Finding {
///                 detector: self.name().to_owned(),
///                 rep_id: rep.to_owned(),
///                 period: String::new(),
///                 score: 1.0,
///                 explanation: format!("{rep} logged no contacts"),
///                 evidence: Vec::new(),
///             })
///             .collect()
///     }
/// }
///
/// let mut b = LedgerBuilder::new();
/// b.add_rep(Rep::new("ana"));
/// let ledger = b.build()?;
/// let classified = classify(&ledger, &ClassifyConfig::default());
/// let ctx = DetectContext::new(&classified, &DetectConfig::default())?;
/// let mut detectors = detect::builtin();
/// detectors.push(Box::new(Silent));
/// let findings = detect::detect(&ctx, &detectors);
/// assert_eq!(findings.len(), 1);
/// assert_eq!(findings[0].detector, "silent");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait Detector: Send + Sync {
    /// A short snake_case name, written in the `detector` column.
    fn name(&self) -> &str;

    /// The findings on this ledger, in any order (the runner sorts them).
    fn detect(&self, ctx: &DetectContext<'_>) -> Vec<Finding>;
}

impl<T: Detector + ?Sized> Detector for Box<T> {
    fn name(&self) -> &str {
        (**self).name()
    }
    fn detect(&self, ctx: &DetectContext<'_>) -> Vec<Finding> {
        (**self).detect(ctx)
    }
}

impl<T: Detector + ?Sized> Detector for Arc<T> {
    fn name(&self) -> &str {
        (**self).name()
    }
    fn detect(&self, ctx: &DetectContext<'_>) -> Vec<Finding> {
        (**self).detect(ctx)
    }
}

impl<T: Detector + ?Sized> Detector for &T {
    fn name(&self) -> &str {
        (**self).name()
    }
    fn detect(&self, ctx: &DetectContext<'_>) -> Vec<Finding> {
        (**self).detect(ctx)
    }
}

/// Settings shared by all detectors.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DetectConfig {
    /// The periods findings are about and the time zone of local days
    /// (default: calendar months in UTC).
    pub periods: PeriodSpec,
    /// At most this many record ids per finding (default 50); the
    /// explanation always gives the full count.
    pub max_evidence: usize,
}

impl Default for DetectConfig {
    fn default() -> Self {
        Self {
            periods: PeriodSpec::monthly(),
            max_evidence: 50,
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
/// returns all their findings sorted by detector, rep id and period (byte
/// order), then by descending score: deterministic whatever the detectors'
/// own order. Scores are clamped to [0, 1] (NaN becomes 0).
///
/// A context is built once and serves any number of runs.
pub fn detect<D: Detector>(ctx: &DetectContext<'_>, detectors: &[D]) -> Findings {
    let mut all: Vec<Finding> = crate::par::map(detectors, |d| d.detect(ctx))
        .into_iter()
        .flatten()
        .collect();
    for f in &mut all {
        f.score = if f.score.is_nan() {
            0.0
        } else {
            f.score.clamp(0.0, 1.0)
        };
        f.evidence.sort_unstable();
    }
    all.sort_by(Finding::order);
    Findings::from(all)
}

/// The eight built-in detectors of SPEC §9 with default settings, in SPEC
/// order; [`Detector::name`] gives each one's name.
pub fn builtin() -> Vec<Box<dyn Detector>> {
    vec![
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

/// Built-in detectors chosen by a comma-separated list of names: `all`
/// (every one), `none` or an empty string (no detector), or names of
/// [`builtin`] detectors (`quota_bunching,backdating`), in the order given,
/// each once.
///
/// # Errors
/// [`Error::InvalidArgument`] naming an unknown detector and the known ones.
pub fn by_names(list: &str) -> Result<Vec<Box<dyn Detector>>> {
    let list = list.trim();
    if list.eq_ignore_ascii_case("all") {
        return Ok(builtin());
    }
    if list.is_empty() || list.eq_ignore_ascii_case("none") {
        return Ok(Vec::new());
    }
    let mut chosen: Vec<Box<dyn Detector>> = Vec::new();
    for name in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let d = builtin()
            .into_iter()
            .find(|d| d.name().eq_ignore_ascii_case(name))
            .ok_or_else(|| {
                let known: Vec<String> = builtin().iter().map(|d| d.name().to_owned()).collect();
                Error::invalid(
                    "detectors",
                    format!(
                        "unknown detector {name:?}; known: all, none, {}",
                        known.join(", ")
                    ),
                )
            })?;
        if !chosen.iter().any(|c| c.name() == d.name()) {
            chosen.push(d);
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
        let floor = |d: TimeDelta| {
            HollowContacts {
                max_duration: d,
                ..HollowContacts::default()
            }
            .max_duration_s()
        };
        assert_eq!(floor(TimeDelta::seconds(30)), 30);
        assert_eq!(floor(TimeDelta::milliseconds(30_500)), 30);
        assert_eq!(floor(TimeDelta::milliseconds(-500)), -1);
    }
}
