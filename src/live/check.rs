//! SPEC §3 checks of one typed record, in the SPEC's order. A typed record
//! cannot hold a bad time, number or enumeration; what is left is absent
//! ids, negative numbers, `logged_at` before `occurred_at`, unknown
//! references and repeated ids (checked by the caller, last).

use crate::error::Reason;
use crate::model::{Contact, Meeting, ProspectRecord, Rep, Sale};
use crate::time::to_micros;

/// A failed check: the field and the reason.
pub(super) type Failure = (&'static str, Reason);

/// What the checks need to know of the ledger: the slots of accepted
/// reps and prospect records.
pub(super) trait Known {
    fn rep_slot(&self, rep_id: &str) -> Option<u32>;
    fn record_slot(&self, record_id: &str) -> Option<u32>;
}

/// The slots an event's references resolved to: its rep and prospect
/// record.
pub(super) type Refs = (u32, u32);

pub(super) fn rep(rep: &Rep) -> Option<Failure> {
    if rep.rep_id.as_str().is_empty() {
        Some(("rep_id", Reason::MissingField))
    } else if rep.daily_contact_target.is_some_and(|t| t < 0) {
        Some(("daily_contact_target", Reason::NegativeNumber))
    } else {
        None
    }
}

pub(super) fn prospect(p: &ProspectRecord, known: &impl Known) -> Option<Failure> {
    if p.prospect_id.as_str().is_empty() {
        Some(("prospect_id", Reason::MissingField))
    } else if let Some(by) = p.created_by.as_ref().map(|r| r.as_str())
        && !by.is_empty()
        && known.rep_slot(by).is_none()
    {
        Some(("created_by", Reason::UnknownRep))
    } else {
        None
    }
}

/// The checks every event shares: ids present, references known.
fn event_ids(id: (&'static str, &str), rep_id: &str, record_id: &str) -> Option<Failure> {
    if id.1.is_empty() {
        Some((id.0, Reason::MissingField))
    } else if rep_id.is_empty() {
        Some(("rep_id", Reason::MissingField))
    } else if record_id.is_empty() {
        Some(("prospect_id", Reason::MissingField))
    } else {
        None
    }
}

fn references(rep_id: &str, record_id: &str, known: &impl Known) -> Result<Refs, Failure> {
    let rep = known
        .rep_slot(rep_id)
        .ok_or(("rep_id", Reason::UnknownRep))?;
    let record = known
        .record_slot(record_id)
        .ok_or(("prospect_id", Reason::UnknownProspect))?;
    Ok((rep, record))
}

/// The first failure of `checks`, else the resolved references.
fn resolve(
    checks: Option<Failure>,
    rep_id: &str,
    record_id: &str,
    known: &impl Known,
) -> Result<Refs, Failure> {
    match checks {
        Some(f) => Err(f),
        None => references(rep_id, record_id, known),
    }
}

pub(super) fn contact(c: &Contact, known: &impl Known) -> Result<Refs, Failure> {
    let (rep_id, record_id) = (c.rep_id.as_str(), c.prospect_id.as_str());
    let checks = event_ids(("contact_id", c.contact_id.as_str()), rep_id, record_id)
        .or_else(|| {
            c.duration_s
                .is_some_and(|d| d < 0)
                .then_some(("duration_s", Reason::NegativeNumber))
        })
        .or_else(|| {
            c.logged_at
                // Compared in µs, as the batch does (sub-µs digits are dropped).
                .is_some_and(|l| to_micros(l) < to_micros(c.occurred_at))
                .then_some(("logged_at", Reason::LoggedBeforeOccurred))
        });
    resolve(checks, rep_id, record_id, known)
}

pub(super) fn meeting(m: &Meeting, known: &impl Known) -> Result<Refs, Failure> {
    let (rep_id, record_id) = (m.rep_id.as_str(), m.prospect_id.as_str());
    let checks = event_ids(("meeting_id", m.meeting_id.as_str()), rep_id, record_id);
    resolve(checks, rep_id, record_id, known)
}

pub(super) fn sale(s: &Sale, known: &impl Known) -> Result<Refs, Failure> {
    let (rep_id, record_id) = (s.rep_id.as_str(), s.prospect_id.as_str());
    let checks = event_ids(("sale_id", s.sale_id.as_str()), rep_id, record_id).or_else(|| {
        s.amount_minor
            .is_some_and(|a| a < 0)
            .then_some(("amount_minor", Reason::NegativeNumber))
    });
    resolve(checks, rep_id, record_id, known)
}
