//! The live ledger's prospect records, compact: ids interned once (the
//! symbol is the record's slot), details in append-only text columns.

use serde::{Deserialize, Serialize};

use super::tables::Slots;
use crate::intern::{Interner, TextColumn};
use crate::model::{ProspectRecord, ProspectRecordId, RepId, Source};
use crate::time::{from_micros, to_micros};

/// A prospect record without its id and details, with the prospect
/// (cluster) it is in and how many events reference it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct RecordRow {
    pub(super) cluster: u32,
    pub(super) events: u32,
    /// Row of its details in the text columns.
    text: u32,
    source: Option<Source>,
    created_us: Option<i64>,
    /// Slot of the rep that created it.
    pub(super) created_by: Option<u32>,
}

/// The detail columns: name, company, e-mail, phone, city, country.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Details([TextColumn; 6]);

impl Details {
    fn push(&mut self, r: &ProspectRecord) -> u32 {
        let row = self.0.first().map_or(0, TextColumn::len) as u32;
        let fields = [&r.name, &r.company, &r.email, &r.phone, &r.city, &r.country];
        for (column, value) in self.0.iter_mut().zip(fields) {
            column.push(value.as_deref());
        }
        row
    }

    fn get(&self, row: u32, field: usize) -> Option<String> {
        self.0
            .get(field)
            .and_then(|c| c.get(row as usize))
            .map(str::to_owned)
    }
}

/// The prospect records by slot, with their details.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(super) struct RecordTable {
    rows: Slots<RecordRow>,
    details: Details,
}

impl RecordTable {
    pub(super) fn get(&self, r: u32) -> Option<&RecordRow> {
        self.rows.get(r)
    }

    pub(super) fn get_mut(&mut self, r: u32) -> Option<&mut RecordRow> {
        self.rows.get_mut(r)
    }

    /// The slot of the stored record with id `id`.
    pub(super) fn find(&self, id: &str) -> Option<u32> {
        self.rows.find(id)
    }

    /// The id of a slot.
    pub(super) fn id(&self, r: u32) -> &str {
        self.rows.id(r)
    }

    /// Stores a record in prospect `cluster`; `None` past 4 billion ids.
    pub(super) fn insert(
        &mut self,
        record: &ProspectRecord,
        created_by: Option<u32>,
        cluster: u32,
    ) -> Option<u32> {
        let text = self.details.push(record);
        let row = RecordRow {
            cluster,
            events: 0,
            text,
            source: record.source,
            created_us: record.created_at.map(to_micros),
            created_by,
        };
        self.rows.push(record.prospect_id.as_str(), row)
    }

    /// Replaces a record's details (the old ones stay in the columns,
    /// unused).
    pub(super) fn replace_details(
        &mut self,
        r: u32,
        record: &ProspectRecord,
        created_by: Option<u32>,
    ) {
        let text = self.details.push(record);
        if let Some(row) = self.get_mut(r) {
            row.text = text;
            row.source = record.source;
            row.created_us = record.created_at.map(to_micros);
            row.created_by = created_by;
        }
    }

    pub(super) fn remove(&mut self, r: u32) {
        self.rows.take(r);
    }

    /// The record in slot `r`, given the ids of rep slots.
    pub(super) fn record<'a>(
        &'a self,
        r: u32,
        rep_id: impl Fn(u32) -> &'a str,
    ) -> Option<ProspectRecord> {
        let row = self.get(r)?;
        let text = |field| self.details.get(row.text, field);
        Some(ProspectRecord {
            prospect_id: ProspectRecordId::new(self.id(r)),
            name: text(0),
            company: text(1),
            email: text(2),
            phone: text(3),
            city: text(4),
            country: text(5),
            source: row.source,
            created_at: row.created_us.map(from_micros),
            created_by: row.created_by.map(|rep| RepId::new(rep_id(rep))),
        })
    }

    /// Stored records with their slots, in slot order.
    pub(super) fn iter(&self) -> impl Iterator<Item = (u32, &RecordRow)> + '_ {
        self.rows.iter()
    }

    /// Frees the room kept for growth.
    pub(super) fn shrink_to_fit(&mut self) {
        self.rows.shrink_to_fit();
        for column in &mut self.details.0 {
            column.shrink_to_fit();
        }
    }

    pub(super) fn heap_bytes(&self) -> usize {
        self.rows.heap_bytes()
            + self
                .details
                .0
                .iter()
                .map(TextColumn::heap_bytes)
                .sum::<usize>()
    }

    /// Checks a table read from a snapshot (one row per id, details and
    /// creators that exist), resets every record's event count and counts
    /// the records.
    pub(super) fn restore(&mut self, rep_ok: impl Fn(u32) -> bool) -> Result<(), String> {
        let details = self
            .details
            .0
            .iter()
            .map(TextColumn::len)
            .min()
            .unwrap_or(0);
        if self.details.0.iter().any(|c| c.len() != details) {
            return Err("the prospect details columns differ in length".to_owned());
        }
        self.rows.restore_with(|id, row| {
            if row.text as usize >= details || !row.created_by.is_none_or(&rep_ok) {
                return Err(format!(
                    "prospect record {id:?} names unknown details or creator"
                ));
            }
            row.events = 0;
            Ok(())
        })
    }

    /// Lends out the record ids (see [`Slots::lend_ids`]).
    pub(super) fn lend_ids(&mut self) -> Interner {
        self.rows.lend_ids()
    }

    /// Takes back the ids lent by [`RecordTable::lend_ids`].
    pub(super) fn give_back_ids(&mut self, ids: Interner) {
        self.rows.give_back_ids(ids);
    }

    /// Makes room for `additional` more records.
    pub(super) fn reserve(&mut self, additional: usize, id_len: usize) {
        self.rows.reserve(additional, id_len);
    }

    /// Stored records with their slots, in slot order, to change.
    pub(super) fn iter_mut(&mut self) -> impl Iterator<Item = (u32, &mut RecordRow)> + '_ {
        self.rows.iter_mut()
    }

    /// Slots used so far (stored or emptied).
    pub(super) fn slots(&self) -> usize {
        self.rows.slots()
    }

    /// Records stored.
    pub(super) fn count(&self) -> usize {
        self.rows.count()
    }
}
