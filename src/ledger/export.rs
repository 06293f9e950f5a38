//! The ledger's accepted records as Rust values.

use super::*;

/// Rows of `prospect_clusters.csv` whose cluster ids are looked up
/// before any is formatted: in prospect order, clusters come in another
/// order than records, and independent look-ups in a tight loop overlap
/// their cache misses where formatting between them would not.
const BATCH: usize = 128;

/// Reads the first byte of each text, for the same reason: the loads are
/// independent, so their misses overlap (a prefetch in safe code).
fn touch_text<'a>(texts: impl Iterator<Item = &'a str>) {
    let folded = texts.fold(0u8, |acc, t| {
        acc ^ t.as_bytes().first().copied().unwrap_or(0)
    });
    std::hint::black_box(folded);
}

impl Ledger {
    /// The accepted records as Rust values, each kind in id byte order:
    /// what [`LedgerBuilder::add_records`] would need to build this ledger
    /// again (with its prospect identity).
    pub fn to_records(&self) -> Records {
        Records {
            reps: self.reps.clone(),
            prospects: (0..self.records.len())
                .filter_map(|i| self.prospect_record(i))
                .collect(),
            contacts: (0..self.contacts.len())
                .filter_map(|i| self.contact(i))
                .collect(),
            meetings: (0..self.meetings.len())
                .filter_map(|i| self.meeting(i))
                .collect(),
            sales: (0..self.sales.len()).filter_map(|i| self.sale(i)).collect(),
        }
    }

    /// The rep id of rep index `rep`, as an id value.
    fn rep_value(&self, rep: u32) -> Option<RepId> {
        self.reps.get(rep as usize).map(|r| r.rep_id.clone())
    }

    /// The record id of record index `record`, as an id value.
    fn record_value(&self, record: u32) -> Option<ProspectRecordId> {
        self.records
            .prospect_id(record as usize)
            .map(ProspectRecordId::from)
    }

    /// Prospect record `i` as a Rust value.
    pub(crate) fn prospect_record(&self, i: usize) -> Option<ProspectRecord> {
        let r = self.records.get(i)?;
        Some(ProspectRecord {
            prospect_id: r.prospect_id.into(),
            name: r.name.map(str::to_owned),
            company: r.company.map(str::to_owned),
            email: r.email.map(str::to_owned),
            phone: r.phone.map(str::to_owned),
            city: r.city.map(str::to_owned),
            country: r.country.map(str::to_owned),
            source: r.source,
            created_at: self.records.created_us(i).map(from_micros),
            created_by: match self.records.created_by(i) {
                Some(rep) => Some(self.rep_value(rep)?),
                None => None,
            },
        })
    }

    /// Contact `i` as a Rust value.
    pub(crate) fn contact(&self, i: usize) -> Option<Contact> {
        let c = self.contacts.get(i)?;
        Some(Contact {
            contact_id: self.contact_ids.get(i)?.into(),
            rep_id: self.rep_value(c.rep)?,
            prospect_id: self.record_value(c.record)?,
            occurred_at: from_micros(c.occurred_us),
            logged_at: c.logged_us().map(from_micros),
            channel: c.channel,
            direction: c.direction(),
            duration_s: c.duration_s(),
            outcome: c.outcome,
        })
    }

    /// Meeting `i` as a Rust value.
    pub(crate) fn meeting(&self, i: usize) -> Option<Meeting> {
        let m = self.meetings.get(i)?;
        Some(Meeting {
            meeting_id: self.meeting_ids.get(i)?.into(),
            rep_id: self.rep_value(m.rep)?,
            prospect_id: self.record_value(m.record)?,
            held_at: from_micros(m.held_us),
            status: m.status,
        })
    }

    /// Sale `i` as a Rust value (an empty currency code is no currency).
    pub(crate) fn sale(&self, i: usize) -> Option<Sale> {
        let s = self.sales.get(i)?;
        let currency = self.currencies.get(s.currency as usize)?;
        Some(Sale {
            sale_id: self.sale_ids.get(i)?.into(),
            rep_id: self.rep_value(s.rep)?,
            prospect_id: self.record_value(s.record)?,
            closed_at: from_micros(s.closed_us),
            amount_minor: s.amount_minor(),
            currency: (!currency.is_empty()).then(|| currency.clone()),
        })
    }
}

/// Names `prospect_clusters.csv` output in [`Error::Write`].
const PROSPECT_CLUSTERS_CSV: &str = "prospect clusters CSV";

/// The prospect partition as `prospect_clusters.csv`.
impl Ledger {
    /// Writes `prospect_clusters.csv` (SPEC §11: `prospect_id,cluster_id`): every
    /// accepted prospect record with the id of its cluster (the cluster's
    /// smallest `prospect_id`), in record id byte order.
    ///
    /// # Errors
    /// [`Error::Write`] when writing fails ([`Error::in_file`] names the file).
    pub fn write_prospect_clusters_csv<W: std::io::Write>(&self, mut w: W) -> Result<()> {
        let io = |e: std::io::Error| Error::write(PROSPECT_CLUSTERS_CSV, e);
        w.write_all(b"prospect_id,cluster_id\n").map_err(io)?;
        let cluster_ids = self.cluster_ids();
        let n = self.records().len();
        crate::table::write_chunked(&mut w, PROSPECT_CLUSTERS_CSV, n, |range, buf| {
            let mut rows = Vec::with_capacity(BATCH);
            for first in range.clone().step_by(BATCH) {
                rows.clear();
                for i in first..(first + BATCH).min(range.end) {
                    rows.extend(self.cluster_row(i, &cluster_ids)?);
                }
                touch_text(rows.iter().map(|&(_, cluster)| cluster));
                for &(id, cluster) in &rows {
                    crate::table::push_csv_field(buf, id);
                    buf.push(b',');
                    crate::table::push_csv_field(buf, cluster);
                    buf.push(b'\n');
                }
            }
            Ok(())
        })?;
        w.flush().map_err(io)
    }

    /// Record `i`'s id and its cluster's id (`None` past the end).
    fn cluster_row<'a>(
        &'a self,
        i: usize,
        cluster_ids: &[&'a str],
    ) -> Result<Option<(&'a str, &'a str)>> {
        let Some(id) = self.records().prospect_id(i) else {
            return Ok(None);
        };
        let Some(p) = self.record_prospect(i as u32) else {
            return Err(Error::invalid(
                "prospect clusters",
                format!("record {id} belongs to no prospect"),
            ));
        };
        #[allow(clippy::indexing_slicing)] // invariant: one cluster id per prospect.
        Ok(Some((id, cluster_ids[p as usize])))
    }

    /// The cluster id of every prospect, in prospect order. Built in one pass
    /// in that order, it spares the tables written per contact or record a
    /// chain of look-ups (cluster, its first record, that record's id) that
    /// misses the cache at each step when prospects come in another order.
    pub(crate) fn cluster_ids(&self) -> Vec<&str> {
        crate::par::map_indices(self.prospect_count(), |p| self.prospect_id(p as u32))
    }
}
