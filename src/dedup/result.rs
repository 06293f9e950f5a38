//! What a run returns: the partition, the evidence of every link inside a
//! cluster, the run's figures, and their table and notebook views.

use std::io::Write;

use chrono::TimeDelta;
use serde::{Deserialize, Serialize};

use super::Profile;
use super::data::{NormData, RecordStats, Stats};
use super::profile::MAX_FIELDS;
use super::score::{MISSING, Model, Scorer, Uncounted};
use crate::error::{Error, Result};
use crate::intern::TextColumn;

/// Figures of a run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DedupStats {
    /// Records in.
    pub records: u64,
    /// Distinct candidate pairs scored.
    pub candidate_pairs: u64,
    /// Pairs at or over the threshold.
    pub linked_pairs: u64,
    /// Clusters out (singletons included).
    pub clusters: u64,
    /// Records in the largest cluster.
    pub largest_cluster: u64,
    /// Blocks skipped as larger than the cap.
    pub oversized_blocks: u64,
    /// Pairs each blocking rule produced, by rule (its fields joined by
    /// `+`, such as `name+company`), in the profile's order (up to the
    /// first 16 rules; a pair found by several rules counts for each).
    pub pairs_per_rule: Vec<(String, u64)>,
    /// Merges refused because two records' identities conflict.
    pub merges_refused_conflict: u64,
    /// Merges refused by the cluster size guard.
    pub merges_refused_size: u64,
    /// The prior match probability used.
    pub prior: f64,
    /// Wall time sorting ids, normalising and counting values.
    pub normalize_time: TimeDelta,
    /// Wall time finding candidate pairs.
    pub block_time: TimeDelta,
    /// Wall time scoring and estimating the model.
    pub score_time: TimeDelta,
    /// Wall time clustering and keeping evidence.
    pub cluster_time: TimeDelta,
}

#[derive(Debug, Clone)]
pub(super) struct StoredLink {
    pub(super) a: u32,
    pub(super) b: u32,
    pub(super) total: f64,
    pub(super) levels: [u8; MAX_FIELDS],
    pub(super) weights: [f32; MAX_FIELDS],
}

/// One field's part in a pair's score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldEvidence {
    /// Column name.
    pub field: String,
    /// Agreement level (`None` when a record lacks the field).
    pub level: Option<u8>,
    /// The level's name (`exact`, `close`, …; `missing`).
    pub level_name: String,
    /// Bits this field added (negative for disagreement).
    pub weight: f64,
}

/// Why two records were linked: every field's level and weight, the total
/// and the threshold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PairEvidence {
    /// One record's id (the smaller).
    pub left: String,
    /// The other record's id.
    pub right: String,
    /// Per field.
    pub fields: Vec<FieldEvidence>,
    /// Prior log-odds, bits.
    pub prior_weight: f64,
    /// Prior plus field weights, bits.
    pub total: f64,
    /// The threshold as a match weight, bits.
    pub threshold_weight: f64,
    /// Posterior match probability of the pair.
    pub probability: f64,
    /// The threshold as a probability.
    pub threshold: f64,
}

impl std::fmt::Display for PairEvidence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} ~ {}: p={:.4} (total {:+.2} bits, threshold {:+.2}; prior {:+.2})",
            self.left,
            self.right,
            self.probability,
            self.total,
            self.threshold_weight,
            self.prior_weight
        )?;
        for e in &self.fields {
            write!(f, "; {} {} {:+.2}", e.field, e.level_name, e.weight)?;
        }
        Ok(())
    }
}

pub(crate) fn pair_evidence(
    fields: &[(String, Vec<&'static str>)],
    model: &Model,
    left: &str,
    right: &str,
    total: f64,
    levels: &[u8],
    weights: &[f32],
) -> PairEvidence {
    PairEvidence {
        left: left.to_owned(),
        right: right.to_owned(),
        fields: fields
            .iter()
            .zip(levels.iter().zip(weights))
            .map(|((name, names), (&l, &w))| FieldEvidence {
                field: name.clone(),
                level: (l != MISSING).then_some(l),
                level_name: if l == MISSING {
                    "missing".to_owned()
                } else {
                    names.get(l as usize).copied().unwrap_or("?").to_owned()
                },
                weight: f64::from(w),
            })
            .collect(),
        prior_weight: model.prior_weight(),
        total,
        threshold_weight: model.threshold_weight(),
        probability: Model::probability(total),
        threshold: model.threshold,
    }
}

/// The outcome of [`Dedup::run`](super::Dedup::run): the partition, the evidence of every
/// link inside a cluster, figures and the model used.
#[derive(Debug, Clone)]
pub struct DedupResult {
    pub(super) ids: TextColumn,
    pub(super) input_of_sorted: Vec<u32>,
    pub(super) roots: Vec<u32>,
    pub(super) evidence: Vec<StoredLink>,
    pub(super) fields: Vec<(String, Vec<&'static str>)>,
    pub(super) stats: DedupStats,
    pub(super) candidates: Option<Vec<u64>>,
    pub(super) model: Model,
    /// Normalised records in internal (locality) order.
    pub(super) data: NormData,
    /// Internal index of each record in id order.
    pub(super) internal_of_id: Vec<u32>,
    pub(super) value_stats: Stats,
    pub(super) snapshot: RecordStats,
    pub(super) profile: Profile,
}

impl DedupResult {
    /// Scores any two records of the run (linked or not) with the run's
    /// model and statistics: why they were, or were not, linked.
    pub fn explain(&self, left: &str, right: &str) -> Option<PairEvidence> {
        let (a, b) = (self.sorted_index(left)?, self.sorted_index(right)?);
        let (a, b) = (a.min(b), a.max(b));
        let (ka, kb) = (
            *self.internal_of_id.get(a)? as usize,
            *self.internal_of_id.get(b)? as usize,
        );
        let scorer = Scorer::new(&self.profile, &self.model, &self.value_stats)
            .with_snapshot(&self.snapshot);
        // Scored in internal order, as the run scored it.
        let s = scorer.score(
            &self.data,
            ka.min(kb),
            &self.data,
            ka.max(kb),
            Uncounted::None,
        );
        Some(pair_evidence(
            &self.fields,
            &self.model,
            self.id_at(a),
            self.id_at(b),
            s.total,
            &s.levels,
            &s.weights,
        ))
    }

    /// Approximate heap bytes held by the result (normalised records,
    /// statistics, partition, evidence), for memory figures.
    pub fn heap_bytes(&self) -> usize {
        self.ids.heap_bytes()
            + self.input_of_sorted.capacity() * 4
            + self.roots.capacity() * 4
            + self.evidence.capacity() * std::mem::size_of::<StoredLink>()
            + self.candidates.as_ref().map_or(0, |c| c.capacity() * 8)
            + self.data.heap_bytes()
            + self.internal_of_id.capacity() * 4
            + self.value_stats.heap_bytes()
            + self.snapshot.heap_bytes()
    }

    /// Whether two records were a candidate pair (only when the run kept
    /// candidates; `None` otherwise).
    pub fn is_candidate(&self, left: &str, right: &str) -> Option<bool> {
        let (a, b) = (self.sorted_index(left)?, self.sorted_index(right)?);
        let (a, b) = (a.min(b) as u64, a.max(b) as u64);
        self.candidates
            .as_ref()
            .map(|c| c.binary_search(&((a << 32) | b)).is_ok())
    }

    /// Number of records.
    pub fn len(&self) -> usize {
        self.roots.len()
    }

    /// Whether there were no records.
    pub fn is_empty(&self) -> bool {
        self.roots.is_empty()
    }

    /// Figures of the run.
    pub fn stats(&self) -> &DedupStats {
        &self.stats
    }

    /// The id-order index of the smallest id of record `i`'s cluster.
    #[allow(clippy::indexing_slicing)]
    fn root_of(&self, i: usize) -> usize {
        // invariant: `roots` holds one entry per record, and `i` is an
        // id-order index the result stored.
        debug_assert!(i < self.roots.len());
        self.roots[i] as usize
    }

    /// Every link inside a cluster, as evidence, with the cluster's id.
    fn cluster_evidence(&self) -> impl Iterator<Item = (&str, PairEvidence)> + '_ {
        self.evidence.iter().map(|e| {
            let cluster = self.id_at(self.root_of(e.a as usize));
            (cluster, self.evidence_of(e))
        })
    }

    fn evidence_of(&self, e: &StoredLink) -> PairEvidence {
        pair_evidence(
            &self.fields,
            &self.model,
            self.id_at(e.a as usize),
            self.id_at(e.b as usize),
            e.total,
            &e.levels,
            &e.weights,
        )
    }

    /// The id at id-order index `i`.
    fn id_at(&self, i: usize) -> &str {
        // invariant: every index the result stores (roots, evidence,
        // candidates) is an id-order index below `len()`.
        debug_assert!(i < self.ids.len());
        self.ids.get(i).unwrap_or_default()
    }

    fn sorted_index(&self, record_id: &str) -> Option<usize> {
        let (mut lo, mut hi) = (0usize, self.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match self.id_at(mid).as_bytes().cmp(record_id.as_bytes()) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Some(mid),
            }
        }
        None
    }

    /// The cluster id (smallest record id of the cluster) of a record.
    pub fn cluster_id(&self, record_id: &str) -> Option<&str> {
        let i = self.sorted_index(record_id)?;
        let root = *self.roots.get(i)?;
        self.ids.get(root as usize)
    }

    /// `(record_id, cluster_id)` for every record, in record id byte order.
    pub fn partition(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        self.roots
            .iter()
            .enumerate()
            .map(|(i, &r)| (self.id_at(i), self.id_at(r as usize)))
    }

    /// A cluster label per input record, in input order: records with
    /// equal labels are one cluster (the label is the input position of
    /// the cluster's smallest-id record).
    pub(crate) fn labels(&self) -> Vec<u32> {
        let mut labels = vec![0u32; self.len()];
        for (sorted, &input) in self.input_of_sorted.iter().enumerate() {
            let root = self.root_of(sorted);
            // invariant: `input_of_sorted` maps each of the `len()` id-order
            // indices to an input position below `len()`.
            debug_assert!(root < self.input_of_sorted.len() && (input as usize) < labels.len());
            #[allow(clippy::indexing_slicing)]
            {
                labels[input as usize] = self.input_of_sorted[root];
            }
        }
        labels
    }

    /// The record ids of the cluster named `cluster_id`, in byte order.
    pub fn members(&self, cluster_id: &str) -> Vec<&str> {
        let Some(root) = self.sorted_index(cluster_id) else {
            return Vec::new();
        };
        self.roots
            .iter()
            .enumerate()
            .filter(|(_, r)| **r as usize == root)
            .filter_map(|(i, _)| self.ids.get(i))
            .collect()
    }

    /// The evidence of every link inside the cluster named `cluster_id`
    /// (each pair over the threshold whose records ended in this cluster),
    /// strongest first.
    pub fn evidence(&self, cluster_id: &str) -> Vec<PairEvidence> {
        let Some(root) = self.sorted_index(cluster_id) else {
            return Vec::new();
        };
        let root = root as u32;
        let start = self
            .evidence
            .partition_point(|e| self.roots.get(e.a as usize).copied() < Some(root));
        let mut out: Vec<PairEvidence> = self
            .evidence
            .iter()
            .skip(start)
            .take_while(|e| self.roots.get(e.a as usize).copied() == Some(root))
            .map(|e| self.evidence_of(e))
            .collect();
        out.sort_by(|x, y| y.total.total_cmp(&x.total));
        out
    }

    /// Every link inside a cluster, as evidence, clusters in id order.
    pub fn all_evidence(&self) -> impl Iterator<Item = PairEvidence> + '_ {
        self.evidence.iter().map(|e| self.evidence_of(e))
    }

    /// The candidate pairs as record ids, when the run kept them
    /// ([`Dedup::with_candidate_pairs`](super::Dedup::with_candidate_pairs)).
    pub fn candidate_pairs(&self) -> Option<impl Iterator<Item = (&str, &str)> + '_> {
        self.candidates.as_ref().map(|c| {
            c.iter().map(|&p| {
                (
                    self.id_at((p >> 32) as usize),
                    self.id_at((p & 0xffff_ffff) as usize),
                )
            })
        })
    }

    /// Writes `id_header,cluster_id` rows (for example `record_id` or
    /// `prospect_id`), sorted by record id in byte order.
    ///
    /// # Errors
    /// [`Error::Write`] when writing fails ([`Error::in_file`] names the
    /// file).
    pub fn write_csv<W: Write>(&self, writer: W, id_header: &str) -> Result<()> {
        write_pairs_csv(writer, id_header, self.partition())
    }
}

fn write_pairs_csv<'a, W: Write>(
    writer: W,
    id_header: &str,
    rows: impl Iterator<Item = (&'a str, &'a str)>,
) -> Result<()> {
    let io = |e: csv::Error| Error::write("clusters CSV", e);
    let mut w = csv::Writer::from_writer(writer);
    w.write_record([id_header, "cluster_id"]).map_err(io)?;
    for (id, cluster) in rows {
        w.write_record([id, cluster]).map_err(io)?;
    }
    w.flush().map_err(|e| Error::write("clusters CSV", e))?;
    Ok(())
}

/// Notebook and table views of a run: which records were joined, and why.
impl DedupResult {
    /// Columns of [`DedupResult::clusters_table`].
    pub const CLUSTER_COLUMNS: [&'static str; 5] = [
        "cluster_id",
        "records",
        "members",
        "links",
        "weakest_probability",
    ];

    /// Columns of [`DedupResult::links_table`].
    pub const LINK_COLUMNS: [&'static str; 8] = [
        "cluster_id",
        "left",
        "right",
        "probability",
        "threshold",
        "total_bits",
        "threshold_bits",
        "fields",
    ];

    /// Every cluster of more than one record, in cluster id order: its
    /// size, members (space-separated, byte order), the number of links
    /// over the threshold inside it and the probability of the weakest.
    pub fn clusters_table(&self) -> crate::table::Table {
        use crate::table::{Cell, Table};
        let mut members: std::collections::BTreeMap<&str, Vec<&str>> =
            std::collections::BTreeMap::new();
        for (record, cluster) in self.partition() {
            members.entry(cluster).or_default().push(record);
        }
        let mut links: std::collections::BTreeMap<String, (u64, f64)> =
            std::collections::BTreeMap::new();
        for (cluster, e) in self.cluster_evidence() {
            let entry = links.entry(cluster.to_owned()).or_insert((0, 1.0));
            entry.0 += 1;
            entry.1 = entry.1.min(e.probability);
        }
        let mut t = Table::new(&Self::CLUSTER_COLUMNS);
        for (cluster, ids) in members.iter().filter(|(_, ids)| ids.len() > 1) {
            // invariant: records join a cluster only through a link, and
            // every link inside a cluster is kept as evidence.
            debug_assert!(links.contains_key(*cluster));
            #[allow(clippy::indexing_slicing)]
            let (n, weakest) = links[*cluster];
            t.push(vec![
                (*cluster).into(),
                (ids.len() as u64).into(),
                ids.join(" ").into(),
                n.into(),
                Cell::share(Some(weakest)),
            ]);
        }
        t
    }

    /// Every link inside a cluster (the evidence of SPEC §4), clusters in
    /// id order, strongest link first within a cluster: the pair, its match
    /// probability against the threshold, its weight in bits, and every
    /// field's agreement level and weight (`name exact +6.1 · email
    /// missing +0.0`).
    pub fn links_table(&self) -> crate::table::Table {
        let mut t = crate::table::Table::new(&Self::LINK_COLUMNS);
        let mut rows: Vec<(&str, PairEvidence)> = self.cluster_evidence().collect();
        rows.sort_by(|(a, x), (b, y)| a.cmp(b).then(y.total.total_cmp(&x.total)));
        for (cluster, e) in &rows {
            t.push(link_row(cluster, e));
        }
        t
    }

    /// Like [`DedupResult::links_table`], for the cluster named
    /// `cluster_id` only.
    pub fn cluster_links_table(&self, cluster_id: &str) -> crate::table::Table {
        let mut t = crate::table::Table::new(&Self::LINK_COLUMNS);
        for e in self.evidence(cluster_id) {
            t.push(link_row(cluster_id, &e));
        }
        t
    }

    fn caption(&self) -> String {
        let s = self.stats();
        let joined = self
            .partition()
            .filter(|(record, cluster)| record != cluster)
            .count();
        format!(
            "Deduplication: {} records in {} clusters ({joined} records joined to another; {} candidate pairs, {} links over the threshold)",
            s.records, s.clusters, s.candidate_pairs, s.linked_pairs
        )
    }

    /// The clusters of more than one record as an HTML table with the
    /// run's figures as caption; each cluster's links are in
    /// [`DedupResult::cluster_links_table`].
    pub fn to_html(&self) -> String {
        self.clusters_table().to_html_captioned(&self.caption())
    }

    /// Renders the clusters table in an evcxr notebook cell.
    pub fn evcxr_display(&self) {
        crate::table::evcxr_show(
            &self.clusters_table().html(
                Some(&self.caption()),
                Some(crate::table::Table::NOTEBOOK_ROWS),
            ),
            &self.to_string(),
        );
    }
}

fn link_row(cluster: &str, e: &PairEvidence) -> Vec<crate::table::Cell> {
    use crate::table::Cell;
    let fields = e
        .fields
        .iter()
        .map(|f| format!("{} {} {:+.1}", f.field, f.level_name, f.weight))
        .collect::<Vec<_>>()
        .join(" · ");
    vec![
        cluster.into(),
        e.left.as_str().into(),
        e.right.as_str().into(),
        Cell::share(Some(e.probability)),
        Cell::share(Some(e.threshold)),
        Cell::float(Some(e.total)),
        Cell::float(Some(e.threshold_weight)),
        fields.into(),
    ]
}

impl std::fmt::Display for DedupResult {
    /// The run's figures, then the clusters of more than one record.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "{}", self.caption())?;
        write!(f, "{}", self.clusters_table())
    }
}

impl PairEvidence {
    /// One row per field: `field`, `level`, `weight_bits`.
    pub fn table(&self) -> crate::table::Table {
        use crate::table::{Cell, Table};
        let mut t = Table::new(&["field", "level", "weight_bits"]);
        for e in &self.fields {
            t.push(vec![
                e.field.as_str().into(),
                e.level_name.as_str().into(),
                Cell::float(Some(e.weight)),
            ]);
        }
        t
    }

    fn caption(&self) -> String {
        format!(
            "{} ~ {}: match probability {:.1} % (threshold {:.1} %); {:+.2} bits = prior {:+.2} + fields (threshold {:+.2})",
            self.left,
            self.right,
            self.probability * 100.0,
            self.threshold * 100.0,
            self.total,
            self.prior_weight,
            self.threshold_weight
        )
    }

    /// The evidence as an HTML table of fields with the verdict as caption.
    pub fn to_html(&self) -> String {
        self.table().to_html_captioned(&self.caption())
    }

    /// Renders the evidence in an evcxr notebook cell.
    pub fn evcxr_display(&self) {
        crate::table::evcxr_show(&self.to_html(), &self.to_string());
    }
}
