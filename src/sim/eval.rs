//! Scoring detectors against a simulation's truth: per behaviour, rep-level
//! precision and recall of the detector of the same name, and the share of
//! honest rep-months that got any finding.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Datelike, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use super::{Behaviour, Simulation};
use crate::detect::Finding;

/// How the detector of one behaviour did, at rep level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct BehaviourScore {
    /// Reps planted with the behaviour.
    pub planted: u64,
    /// Planted reps the detector flagged (in any period).
    pub true_positives: u64,
    /// Reps the detector flagged that were not planted with it.
    pub false_positives: u64,
}

impl BehaviourScore {
    /// True positives ÷ planted (`None` when nothing was planted).
    pub fn recall(&self) -> Option<f64> {
        (self.planted > 0).then(|| self.true_positives as f64 / self.planted as f64)
    }

    /// True positives ÷ flagged (`None` when nothing was flagged).
    pub fn precision(&self) -> Option<f64> {
        let flagged = self.true_positives + self.false_positives;
        (flagged > 0).then(|| self.true_positives as f64 / flagged as f64)
    }
}

/// Detector quality on one or more simulations; merge several with
/// [`Evaluation::merge`].
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Evaluation {
    /// Per behaviour, keyed by its (= its detector's) name.
    pub behaviours: BTreeMap<String, BehaviourScore>,
    /// Rep-months with activity in which the rep gamed in no way.
    pub honest_rep_months: u64,
    /// Those of them with at least one finding (of any detector).
    pub flagged_honest_rep_months: u64,
    /// Findings on honest rep-months, per detector.
    pub honest_findings_by_detector: BTreeMap<String, u64>,
}

impl Evaluation {
    /// Scores monthly `findings` (periods labelled `YYYY-MM`, UTC) of
    /// `sim`.
    pub fn of(sim: &Simulation, findings: &[Finding]) -> Evaluation {
        let truth = &sim.truth;
        let mut eval = Evaluation::default();
        for b in Behaviour::ALL {
            let planted: BTreeSet<&str> = truth
                .planted
                .iter()
                .filter(|p| p.behaviour == b)
                .map(|p| p.rep_id.as_str())
                .collect();
            let flagged: BTreeSet<&str> = findings
                .iter()
                .filter(|f| f.detector == b.as_str())
                .map(|f| f.rep_id.as_str())
                .collect();
            let tp = flagged.intersection(&planted).count() as u64;
            let _ = eval.behaviours.insert(
                b.as_str().to_owned(),
                BehaviourScore {
                    planted: planted.len() as u64,
                    true_positives: tp,
                    false_positives: flagged.len() as u64 - tp,
                },
            );
        }
        // Rep-months with activity, and whether the rep gamed then.
        let mut months: BTreeSet<(&str, String)> = BTreeSet::new();
        for c in &sim.records.contacts {
            let _ = months.insert((c.rep_id.as_str(), month_label(c.occurred_at)));
        }
        let gaming = |rep: &str, label: &str| -> bool {
            month_start(label)
                .is_some_and(|t| Behaviour::ALL.iter().any(|&b| truth.is_gaming(rep, b, t)))
        };
        let mut flagged_months: BTreeMap<(&str, &str), Vec<&str>> = BTreeMap::new();
        for f in findings {
            flagged_months
                .entry((f.rep_id.as_str(), f.period.as_str()))
                .or_default()
                .push(f.detector.as_str());
        }
        for (rep, label) in &months {
            if gaming(rep, label) {
                continue;
            }
            eval.honest_rep_months += 1;
            if let Some(ds) = flagged_months.get(&(*rep, label.as_str())) {
                eval.flagged_honest_rep_months += 1;
                for d in ds {
                    *eval
                        .honest_findings_by_detector
                        .entry((*d).to_owned())
                        .or_default() += 1;
                }
            }
        }
        eval
    }

    /// Adds another evaluation's counts.
    pub fn merge(&mut self, other: &Evaluation) {
        for (k, v) in &other.behaviours {
            let e = self.behaviours.entry(k.clone()).or_default();
            e.planted += v.planted;
            e.true_positives += v.true_positives;
            e.false_positives += v.false_positives;
        }
        self.honest_rep_months += other.honest_rep_months;
        self.flagged_honest_rep_months += other.flagged_honest_rep_months;
        for (k, v) in &other.honest_findings_by_detector {
            *self
                .honest_findings_by_detector
                .entry(k.clone())
                .or_default() += v;
        }
    }

    /// Flagged honest rep-months ÷ honest rep-months.
    pub fn honest_flag_rate(&self) -> f64 {
        if self.honest_rep_months == 0 {
            return 0.0;
        }
        self.flagged_honest_rep_months as f64 / self.honest_rep_months as f64
    }

    /// A plain-text table of the figures.
    pub fn to_text(&self) -> String {
        let fmt = |x: Option<f64>| x.map_or_else(|| "–".to_owned(), |v| format!("{v:.3}"));
        let mut s = format!(
            "{:<24} {:>7} {:>4} {:>4} {:>8} {:>9}\n",
            "behaviour", "planted", "tp", "fp", "recall", "precision"
        );
        for (name, b) in &self.behaviours {
            s.push_str(&format!(
                "{:<24} {:>7} {:>4} {:>4} {:>8} {:>9}\n",
                name,
                b.planted,
                b.true_positives,
                b.false_positives,
                fmt(b.recall()),
                fmt(b.precision()),
            ));
        }
        s.push_str(&format!(
            "honest rep-months flagged: {} of {} ({:.2} %)",
            self.flagged_honest_rep_months,
            self.honest_rep_months,
            100.0 * self.honest_flag_rate()
        ));
        if !self.honest_findings_by_detector.is_empty() {
            let by: Vec<String> = self
                .honest_findings_by_detector
                .iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect();
            s.push_str(&format!(" — {}", by.join(", ")));
        }
        s
    }
}

fn month_label(t: DateTime<Utc>) -> String {
    format!("{:04}-{:02}", t.year(), t.month())
}

fn month_start(label: &str) -> Option<DateTime<Utc>> {
    let (y, m) = label.split_once('-')?;
    let (y, m): (i32, u32) = (y.parse().ok()?, m.parse().ok()?);
    Utc.with_ymd_and_hms(y, m, 1, 0, 0, 0).single()
}
