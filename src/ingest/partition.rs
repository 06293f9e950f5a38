//! A partition of prospect records supplied by the caller (read from
//! `prospect_clusters.csv` or built in Rust).

use std::fs::File;
use std::io::Read;
use std::path::Path;

use crate::error::{Error, Result};
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

/// Readers of the `prospect_clusters.csv` form.
impl SuppliedPartition {
    /// Reads a prospect partition in the `prospect_clusters.csv` form of
    /// SPEC §11 (`prospect_id,cluster_id`; other columns ignored): records
    /// with the same `cluster_id` are one prospect. Supplying it to
    /// [`LedgerBuilder::partition`](crate::LedgerBuilder::partition) replaces deduplication (SPEC §4).
    ///
    /// # Errors
    /// [`Error::MissingColumn`] when a column is missing; [`Error::Malformed`]
    /// on invalid UTF-8 or a row whose `prospect_id` or `cluster_id` is empty
    /// (a row that joins nothing to nothing); [`Error::Io`] when reading fails.
    ///
    /// # Example
    /// ```
    /// use std::path::Path;
    /// use sales_metrics::SuppliedPartition;
    ///
    /// let csv = "prospect_id,cluster_id\np1,p1\np7,p1\n";
    /// let partition = SuppliedPartition::from_csv(csv.as_bytes(), Path::new("prospect_clusters.csv"))?;
    /// assert_eq!(partition.len(), 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_csv(reader: impl Read + Send, source_name: &Path) -> Result<Self> {
        let mut partition = Self::new();
        super::blocks::read_partition(
            reader,
            source_name,
            &mut partition,
            super::blocks::BLOCK_BYTES,
            None,
        )?;
        Ok(partition)
    }

    /// Reads a `prospect_clusters.csv` file with [`SuppliedPartition::from_csv`].
    ///
    /// # Errors
    /// [`Error::Io`] naming the file when it cannot be opened; those of
    /// [`SuppliedPartition::from_csv`].
    ///
    /// # Example
    /// ```
    /// use sales_metrics::SuppliedPartition;
    ///
    /// let path = std::env::temp_dir().join(format!("sm-partition-doc-{}.csv", std::process::id()));
    /// std::fs::write(&path, "prospect_id,cluster_id\np1,p1\np2,p1\n")?;
    /// assert_eq!(SuppliedPartition::from_file(&path)?.len(), 2);
    /// std::fs::remove_file(&path)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let file = File::open(path).map_err(|e| Error::io(path, e))?;
        let size = file.metadata().ok().map(|m| m.len());
        let mut partition = Self::new();
        super::blocks::read_partition(
            file,
            path,
            &mut partition,
            super::blocks::block_bytes_for(size),
            size,
        )?;
        Ok(partition)
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
