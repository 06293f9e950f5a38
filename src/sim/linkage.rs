//! Deduplication (record linkage) scored against known truth: pairwise and
//! cluster-level precision, recall and F1, and blocking recall.
//!
//! * **Pairwise**: over all unordered pairs of records, a pair is
//!   predicted when both records are in one predicted cluster and true
//!   when both are in one true cluster.
//! * **Cluster-level** (exact match): a predicted cluster is correct when
//!   some true cluster has exactly the same records. Precision = correct /
//!   predicted clusters, recall = correct / true clusters, singletons
//!   included on both sides.
//! * **Blocking recall**: the share of true pairs that are candidate pairs.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

/// Precision, recall and F1 with the counts behind them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct LinkageScores {
    /// Predicted and true.
    pub true_positives: u64,
    /// Predicted.
    pub predicted: u64,
    /// True.
    pub actual: u64,
}

impl LinkageScores {
    /// Precision (1 when nothing is predicted).
    pub fn precision(&self) -> f64 {
        if self.predicted == 0 {
            1.0
        } else {
            self.true_positives as f64 / self.predicted as f64
        }
    }

    /// Recall (1 when nothing is true).
    pub fn recall(&self) -> f64 {
        if self.actual == 0 {
            1.0
        } else {
            self.true_positives as f64 / self.actual as f64
        }
    }

    /// Harmonic mean of precision and recall.
    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }
}

impl std::fmt::Display for LinkageScores {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "P {:.4} R {:.4} F1 {:.4} ({} / {} predicted / {} true)",
            self.precision(),
            self.recall(),
            self.f1(),
            self.true_positives,
            self.predicted,
            self.actual
        )
    }
}

fn groups<'a>(labels: impl Iterator<Item = (&'a str, &'a str)>) -> HashMap<&'a str, Vec<&'a str>> {
    let mut g: HashMap<&str, Vec<&str>> = HashMap::new();
    for (id, label) in labels {
        g.entry(label).or_default().push(id);
    }
    for v in g.values_mut() {
        v.sort_unstable();
    }
    g
}

/// Scoring a partition or candidate pairs against truth.
impl LinkageScores {
    /// Pairwise scores of `predicted` against `truth`, both given as
    /// `(record_id, cluster_label)` for the same records.
    ///
    /// ```
    /// use sales_metrics::sim::LinkageScores;
    /// let truth = [("a", "x"), ("b", "x"), ("c", "y")];
    /// let predicted = [("a", "a"), ("b", "a"), ("c", "a")];
    /// let p = LinkageScores::pairwise(predicted.iter().copied(), truth.iter().copied());
    /// assert_eq!((p.true_positives, p.predicted, p.actual), (1, 3, 1));
    /// assert!((p.precision() - 1.0 / 3.0).abs() < 1e-12);
    /// let c = LinkageScores::cluster_level(predicted.iter().copied(), truth.iter().copied());
    /// assert_eq!(c.true_positives, 0); // {a, b, c} equals no true cluster
    /// ```
    pub fn pairwise<'a>(
        predicted: impl Iterator<Item = (&'a str, &'a str)>,
        truth: impl Iterator<Item = (&'a str, &'a str)>,
    ) -> Self {
        let truth: HashMap<&str, &str> = truth.collect();
        let pred = groups(predicted);
        let true_groups = groups(truth.iter().map(|(a, b)| (*a, *b)));
        let pairs = |n: usize| (n * n.saturating_sub(1) / 2) as u64;
        let mut s = Self {
            actual: true_groups.values().map(|v| pairs(v.len())).sum(),
            predicted: pred.values().map(|v| pairs(v.len())).sum(),
            true_positives: 0,
        };
        for members in pred.values() {
            let mut by_true: HashMap<&str, usize> = HashMap::new();
            for m in members {
                if let Some(t) = truth.get(m) {
                    *by_true.entry(t).or_default() += 1;
                }
            }
            s.true_positives += by_true.values().map(|&n| pairs(n)).sum::<u64>();
        }
        s
    }

    /// Cluster-level (exact match) scores of `predicted` against `truth`.
    pub fn cluster_level<'a>(
        predicted: impl Iterator<Item = (&'a str, &'a str)>,
        truth: impl Iterator<Item = (&'a str, &'a str)>,
    ) -> Self {
        let pred = groups(predicted);
        let truth = groups(truth);
        let true_sets: std::collections::HashSet<&Vec<&str>> = truth.values().collect();
        Self {
            true_positives: pred.values().filter(|c| true_sets.contains(c)).count() as u64,
            predicted: pred.len() as u64,
            actual: truth.len() as u64,
        }
    }

    /// Share of true pairs (records with equal truth labels) among `candidates`.
    pub fn blocking_recall<'a>(
        candidates: impl Iterator<Item = (&'a str, &'a str)>,
        truth: impl Iterator<Item = (&'a str, &'a str)>,
    ) -> Self {
        let truth: HashMap<&str, &str> = truth.collect();
        let true_groups = groups(truth.iter().map(|(a, b)| (*a, *b)));
        let actual: u64 = true_groups
            .values()
            .map(|v| (v.len() * v.len().saturating_sub(1) / 2) as u64)
            .sum();
        let mut s = Self {
            actual,
            ..Self::default()
        };
        for (a, b) in candidates {
            s.predicted += 1;
            if truth.get(a).is_some_and(|t| truth.get(b) == Some(t)) {
                s.true_positives += 1;
            }
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_small_case() {
        let truth = [("a", "1"), ("b", "1"), ("c", "1"), ("d", "2")];
        let pred = [("a", "a"), ("b", "a"), ("c", "c"), ("d", "c")];
        let p = LinkageScores::pairwise(pred.iter().copied(), truth.iter().copied());
        assert_eq!((p.true_positives, p.predicted, p.actual), (1, 2, 3));
        let c = LinkageScores::cluster_level(pred.iter().copied(), truth.iter().copied());
        assert_eq!((c.true_positives, c.predicted, c.actual), (0, 2, 2));
    }
}
