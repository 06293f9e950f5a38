//! The ledger's accepted records as Rust values.

use super::*;

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
            direction: c.direction,
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
