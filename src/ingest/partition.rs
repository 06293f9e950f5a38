//! A partition of prospect records supplied by the caller (read from
//! `prospect_clusters.csv` or built in Rust).

use crate::intern::TextColumn;

/// A partition of prospect records supplied by the caller (for example a
/// CRM's merge history, or `prospect_clusters.csv`), which replaces
/// deduplication (SPEC §4).
///
/// Stored compactly (ids and group labels each in one buffer): a
/// partition of millions of records costs a few bytes per record beyond
/// its text. Groups are formed when the ledger is built.
#[derive(Debug, Clone, Default)]
pub struct SuppliedPartition {
    ids: TextColumn,
    labels: TextColumn,
}

impl SuppliedPartition {
    /// An empty partition (every record its own prospect).
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `prospect_id` to the group labelled `group` (in
    /// `prospect_clusters.csv`, the `cluster_id` column).
    pub fn insert(&mut self, prospect_id: impl AsRef<str>, group: impl AsRef<str>) {
        self.ids.push(Some(prospect_id.as_ref()));
        self.labels.push(Some(group.as_ref()));
    }

    /// Appends listed ids and their labels (readers' batches).
    pub(crate) fn append_columns(&mut self, ids: &TextColumn, labels: &TextColumn) {
        self.ids.append(ids);
        self.labels.append(labels);
    }

    /// Makes room for about `additional` more listed ids.
    pub fn reserve(&mut self, additional: usize) {
        self.ids.reserve(additional, 12);
        self.labels.reserve(additional, 12);
    }

    /// Number of listed ids.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether nothing is listed.
    pub fn is_empty(&self) -> bool {
        self.ids.len() == 0
    }

    /// The listed `(prospect_id, group label)` pairs, in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        (0..self.len()).map(|i| (self.id(i), self.label(i)))
    }

    pub(crate) fn id(&self, i: usize) -> &str {
        self.ids.get(i).unwrap_or("")
    }

    pub(crate) fn label(&self, i: usize) -> &str {
        self.labels.get(i).unwrap_or("")
    }
}

impl PartialEq for SuppliedPartition {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl Eq for SuppliedPartition {}

impl<P: AsRef<str>, G: AsRef<str>> FromIterator<(P, G)> for SuppliedPartition {
    fn from_iter<I: IntoIterator<Item = (P, G)>>(iter: I) -> Self {
        let mut p = Self::new();
        for (id, g) in iter {
            p.insert(id, g);
        }
        p
    }
}

impl<P: AsRef<str>, G: AsRef<str>> Extend<(P, G)> for SuppliedPartition {
    fn extend<I: IntoIterator<Item = (P, G)>>(&mut self, iter: I) {
        for (id, g) in iter {
            self.insert(id, g);
        }
    }
}
