//! [`LedgerBuilder::build`]: validates the staged records (SPEC §3),
//! groups prospect records into prospects (SPEC §4) and lays out the
//! ledger, one named stage after another.

use super::identity::{clusters_from_labels, supplied_labels};
use super::validate::{Rejections, accept_unique, dense_order, lookup, screen, sort_by_bytes};
use super::*;

pub(super) fn build(builder: LedgerBuilder) -> Result<Ledger> {
    let LedgerBuilder {
        mode,
        identity,
        staging: b,
    } = builder;
    let mut rej = Rejections {
        list: b.early_rejections,
    };

    // Reps.
    let mut rep_taken = vec![false; b.rep_syms.len()];
    let mut rep_accepted_syms = Vec::new();
    let mut rep_by_sym: Vec<Option<Rep>> = vec![None; b.rep_syms.len()];
    for (row, rep) in b.reps {
        let id = rep.rep_id.as_str();
        let sym = b.rep_syms.lookup(id);
        let reason = if id.is_empty() {
            Some(("rep_id", Reason::MissingField))
        } else if rep.daily_contact_target.is_some_and(|t| t < 0) {
            Some(("daily_contact_target", Reason::NegativeNumber))
        } else if sym.is_some_and(|s| rep_taken.get(s as usize).copied().unwrap_or(false)) {
            Some(("rep_id", Reason::DuplicateId))
        } else {
            None
        };
        match (reason, sym) {
            (Some((field, reason)), _) => rej.add(RecordKind::Rep, row, id, field, reason),
            (None, Some(s)) => {
                if let Some(t) = rep_taken.get_mut(s as usize) {
                    *t = true;
                }
                rep_accepted_syms.push(s);
                if let Some(slot) = rep_by_sym.get_mut(s as usize) {
                    *slot = Some(rep);
                }
            }
            // Every staged rep id is interned by `push_rep`.
            (None, None) => rej.add(RecordKind::Rep, row, id, "rep_id", Reason::MissingField),
        }
    }
    // Rep ids must be in the rep interner for lookups; intern rep ids first.
    let (rep_order, rep_of_sym) = dense_order(&b.rep_syms, &rep_accepted_syms);
    let mut teams = Interner::default();
    let mut reps = Vec::with_capacity(rep_order.len());
    let mut rep_team = Vec::with_capacity(rep_order.len());
    for sym in &rep_order {
        if let Some(rep) = rep_by_sym.get_mut(*sym as usize).and_then(Option::take) {
            rep_team.push(
                rep.team_id
                    .as_ref()
                    .filter(|t| !t.as_str().is_empty())
                    .map_or(NONE, |t| teams.intern(t.as_str())),
            );
            reps.push(rep);
        }
    }

    // Prospect records.
    let mut rec_taken = vec![false; b.record_syms.len()];
    let mut rec_accepted = Vec::new(); // staged index
    for (i, p) in b.prospects.iter().enumerate() {
        let id = b.record_syms.get(p.id);
        let reason = if id.is_empty() {
            Some(("prospect_id", Reason::MissingField))
        } else if p.created_by != NONE && lookup(&rep_of_sym, p.created_by) == NONE {
            Some(("created_by", Reason::UnknownRep))
        } else if rec_taken.get(p.id as usize).copied().unwrap_or(false) {
            Some(("prospect_id", Reason::DuplicateId))
        } else {
            None
        };
        if let Some((field, reason)) = reason {
            rej.add(RecordKind::Prospect, p.row, id, field, reason);
        } else {
            if let Some(t) = rec_taken.get_mut(p.id as usize) {
                *t = true;
            }
            rec_accepted.push(i);
        }
    }
    let rec_syms: Vec<u32> = rec_accepted
        .iter()
        .filter_map(|&i| b.prospects.get(i).map(|p| p.id))
        .collect();
    let (rec_order, rec_of_sym) = dense_order(&b.record_syms, &rec_syms);
    let mut staged_of_sym = vec![NONE; b.record_syms.len()];
    for &i in &rec_accepted {
        if let Some(p) = b.prospects.get(i)
            && let Some(slot) = staged_of_sym.get_mut(p.id as usize)
        {
            *slot = i as u32;
        }
    }
    // Columns gathered in id order, in parallel chunks then joined.
    let gather = |syms: &[u32]| {
        let mut part = ProspectRecords::default();
        for sym in syms {
            if let Some(p) = b.prospects.get(lookup(&staged_of_sym, *sym) as usize) {
                let created_by = if p.created_by == NONE {
                    NONE
                } else {
                    lookup(&rep_of_sym, p.created_by)
                };
                part.push(p, &b.prospect_texts, b.record_syms.get(*sym), created_by);
            }
        }
        part
    };
    #[cfg(feature = "parallel")]
    let parts: Vec<ProspectRecords> = {
        use rayon::prelude::*;
        rec_order.par_chunks(1 << 16).map(gather).collect()
    };
    #[cfg(not(feature = "parallel"))]
    let parts = vec![gather(&rec_order)];
    let mut records = ProspectRecords::default();
    for part in &parts {
        records.append(part);
    }
    drop(parts);
    drop(staged_of_sym);
    // Staged prospect text is copied into `records`; free it before the
    // (much larger) event tables are built.
    drop(b.prospect_texts);
    drop(b.prospects);

    // Prospect identity (SPEC §4).
    let mut warnings = Vec::new();
    let labels: Vec<u32> = match &identity {
        ProspectIdentity::Singletons => (0..records.len() as u32).collect(),
        ProspectIdentity::Deduplicate(d) => {
            if b.drop_prospect_text {
                return Err(Error::invalid(
                    "prospect identity",
                    "cannot deduplicate prospect records whose details were dropped \
                     (keep_prospect_details(false)); supply a partition instead",
                ));
            }
            let labels = d.group(&records)?;
            if labels.len() != records.len() {
                return Err(Error::invalid(
                    "deduplicator output",
                    format!(
                        "{} labels for {} prospect records",
                        labels.len(),
                        records.len()
                    ),
                ));
            }
            labels
        }
        ProspectIdentity::Supplied(p) => {
            supplied_labels(p, &records, &b.record_syms, &rec_of_sym, &mut warnings)
        }
    };
    let (record_prospect, prospect_records_offsets, prospect_records) =
        clusters_from_labels(&labels);
    // The partition (possibly millions of ids) is no longer needed.
    drop(labels);
    drop(identity);

    // Shared checks of event references, in SPEC §3 order after the
    // record-specific ones.
    let check_refs = |rep: u32, record: u32| -> Option<(&'static str, Reason)> {
        if lookup(&rep_of_sym, rep) == NONE {
            Some(("rep_id", Reason::UnknownRep))
        } else if lookup(&rec_of_sym, record) == NONE {
            Some(("prospect_id", Reason::UnknownProspect))
        } else {
            None
        }
    };
    // An empty reference is the empty string's symbol (or none at all):
    // comparing symbols spares a read of the id text per event.
    let (empty_rep, empty_record) = (b.rep_syms.lookup(""), b.record_syms.lookup(""));
    let (rep_count, record_count) = (b.rep_syms.len(), b.record_syms.len());
    let missing = |id: &str, rep: u32, record: u32, id_field: &'static str| {
        if id.is_empty() {
            Some((id_field, Reason::MissingField))
        } else if rep as usize >= rep_count || Some(rep) == empty_rep {
            Some(("rep_id", Reason::MissingField))
        } else if record as usize >= record_count || Some(record) == empty_record {
            Some(("prospect_id", Reason::MissingField))
        } else {
            None
        }
    };

    // Contacts: validated, then compacted, re-indexed and put in id order
    // in place, so each contact's fields exist once.
    let mut contacts = b.contacts;
    let contact_rows = b.contact_rows;
    let row_of = |i: usize| contact_rows.get(i).copied().unwrap_or(0);
    let (candidates, failed) = screen(&contacts, |i, c| {
        let id = b.contact_ids.get(i).unwrap_or("");
        missing(id, c.rep, c.record, "contact_id")
            .or_else(|| {
                (c.has_duration && c.duration < 0).then_some(("duration_s", Reason::NegativeNumber))
            })
            .or_else(|| {
                (c.has_logged && c.logged_us < c.occurred_us)
                    .then_some(("logged_at", Reason::LoggedBeforeOccurred))
            })
            .or_else(|| check_refs(c.rep, c.record))
    });
    for (i, field, reason) in failed {
        let id = b.contact_ids.get(i as usize).unwrap_or("");
        rej.add(RecordKind::Contact, row_of(i as usize), id, field, reason);
    }
    let order = accept_unique(&b.contact_ids, candidates, |i, id| {
        rej.add(
            RecordKind::Contact,
            row_of(i as usize),
            id,
            "contact_id",
            Reason::DuplicateId,
        );
    });
    drop(contact_rows);
    // Every staged contact kept, already in id order (a common export):
    // nothing to copy or move.
    let kept_in_place =
        order.len() == contacts.len() && order.iter().enumerate().all(|(k, &i)| k as u32 == i);
    let contact_ids = if kept_in_place {
        b.contact_ids
    } else {
        // Gathered in id order in parallel chunks: each read is random, but
        // they are independent, so their cache misses overlap (moving
        // rows in place, cycle by cycle, misses once per row in turn).
        let staged_ids = &b.contact_ids;
        let gather_ids = |chunk: &[u32]| {
            let mut part = TextColumn::default();
            for &i in chunk {
                part.push(staged_ids.get(i as usize));
            }
            part
        };
        // Every index of `order` is a staged contact's: the first contact
        // only stands in for the impossible miss (and keeps the gather
        // indexed, so rows are written straight into their places).
        let gather_rows = || -> Vec<ContactRow> {
            let Some(&first) = contacts.first() else {
                return Vec::new();
            };
            let row_at = |&i: &u32| contacts.get(i as usize).copied().unwrap_or(first);
            #[cfg(feature = "parallel")]
            {
                use rayon::prelude::*;
                order.par_iter().map(row_at).collect()
            }
            #[cfg(not(feature = "parallel"))]
            order.iter().map(row_at).collect()
        };
        const CHUNK: usize = 1 << 16;
        #[cfg(feature = "parallel")]
        let (id_parts, gathered): (Vec<TextColumn>, Vec<ContactRow>) = {
            use rayon::prelude::*;
            rayon::join(
                || order.par_chunks(CHUNK).map(gather_ids).collect(),
                gather_rows,
            )
        };
        #[cfg(not(feature = "parallel"))]
        let (id_parts, gathered): (Vec<TextColumn>, Vec<ContactRow>) =
            (order.chunks(CHUNK).map(gather_ids).collect(), gather_rows());
        drop(b.contact_ids);
        let mut contact_ids = TextColumn::default();
        contact_ids.reserve(order.len(), 12);
        for part in &id_parts {
            contact_ids.append(part);
        }
        drop(id_parts);
        contacts = gathered;
        contact_ids
    };
    drop(order);
    let remap = |c: &mut ContactRow| {
        c.rep = lookup(&rep_of_sym, c.rep);
        c.record = lookup(&rec_of_sym, c.record);
    };
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        contacts.par_iter_mut().for_each(remap);
    }
    #[cfg(not(feature = "parallel"))]
    contacts.iter_mut().for_each(remap);
    contacts.shrink_to_fit();

    // Meetings.
    let mut candidates = Vec::with_capacity(b.meetings.len());
    for (i, m) in b.meetings.iter().enumerate() {
        let id = b.meeting_ids.get(i).unwrap_or("");
        match missing(id, m.rep, m.record, "meeting_id").or_else(|| check_refs(m.rep, m.record)) {
            Some((field, reason)) => rej.add(RecordKind::Meeting, m.row, id, field, reason),
            None => candidates.push(i as u32),
        }
    }
    let order = accept_unique(&b.meeting_ids, candidates, |i, id| {
        let row = b.meetings.get(i as usize).map_or(0, |m| m.row);
        rej.add(
            RecordKind::Meeting,
            row,
            id,
            "meeting_id",
            Reason::DuplicateId,
        );
    });
    let mut meeting_ids = TextColumn::default();
    let mut meetings = Vec::with_capacity(order.len());
    for &i in &order {
        let Some(m) = b.meetings.get(i as usize) else {
            continue;
        };
        meeting_ids.push(b.meeting_ids.get(i as usize));
        meetings.push(MeetingRow {
            rep: lookup(&rep_of_sym, m.rep),
            record: lookup(&rec_of_sym, m.record),
            prospect: NONE,
            held_us: m.held_us,
            status: m.status,
        });
    }

    // Sales.
    let mut candidates = Vec::with_capacity(b.sales.len());
    for (i, s) in b.sales.iter().enumerate() {
        let id = b.sale_ids.get(i).unwrap_or("");
        let reason = missing(id, s.rep, s.record, "sale_id")
            .or_else(|| {
                s.amount
                    .is_some_and(|a| a < 0)
                    .then_some(("amount_minor", Reason::NegativeNumber))
            })
            .or_else(|| check_refs(s.rep, s.record));
        match reason {
            Some((field, reason)) => rej.add(RecordKind::Sale, s.row, id, field, reason),
            None => candidates.push(i as u32),
        }
    }
    let sale_order = accept_unique(&b.sale_ids, candidates, |i, id| {
        let row = b.sales.get(i as usize).map_or(0, |s| s.row);
        rej.add(RecordKind::Sale, row, id, "sale_id", Reason::DuplicateId);
    });
    // Currencies re-indexed in byte order so revenue rows sort by index.
    // Only currencies of accepted sales: a rejected sale's currency must not
    // appear in results.
    let mut currency_used = vec![false; b.currency_syms.len()];
    for &i in &sale_order {
        if let Some(s) = b.sales.get(i as usize)
            && let Some(u) = currency_used.get_mut(s.currency as usize)
        {
            *u = true;
        }
    }
    let mut cur_syms: Vec<u32> = (0..b.currency_syms.len() as u32)
        .filter(|&c| currency_used.get(c as usize).copied().unwrap_or(false))
        .collect();
    sort_by_bytes(&mut cur_syms, |s| b.currency_syms.get(s));
    let mut cur_of_sym = vec![NONE; b.currency_syms.len()];
    for (new, &sym) in cur_syms.iter().enumerate() {
        if let Some(slot) = cur_of_sym.get_mut(sym as usize) {
            *slot = new as u32;
        }
    }
    let currencies: Vec<String> = cur_syms
        .iter()
        .map(|&s| b.currency_syms.get(s).to_owned())
        .collect();
    let mut sale_ids = TextColumn::default();
    let mut sales = Vec::with_capacity(sale_order.len());
    for &i in &sale_order {
        let Some(s) = b.sales.get(i as usize) else {
            continue;
        };
        sale_ids.push(b.sale_ids.get(i as usize));
        sales.push(SaleRow {
            rep: lookup(&rep_of_sym, s.rep),
            record: lookup(&rec_of_sym, s.record),
            prospect: NONE,
            closed_us: s.closed_us,
            amount: s.amount.unwrap_or(0),
            currency: lookup(&cur_of_sym, s.currency),
            has_amount: s.amount.is_some(),
        });
    }

    // Readers report syntax rejections before the builder's checks run;
    // order them all by kind (load order) and row.
    let mut rejections = rej.list;
    rejections.sort_by_key(|r| (r.kind, r.row));
    if mode == Mode::Strict && !rejections.is_empty() {
        return Err(Error::Rejected { rejections });
    }

    let mut ledger = Ledger {
        reps,
        rep_team,
        teams: (0..teams.len() as u32)
            .map(|t| teams.get(t).to_owned())
            .collect(),
        records,
        record_prospect,
        prospect_records_offsets,
        prospect_records,
        contact_ids,
        contacts,
        meeting_ids,
        meetings,
        sale_ids,
        sales,
        currencies,
        events: Vec::new(),
        event_offsets: Vec::new(),
        contact_pos: Vec::new(),
        meeting_pos: Vec::new(),
        sale_pos: Vec::new(),
        rejections,
        warnings,
        inputs: b.inputs,
    };
    ledger.index_events();
    Ok(ledger)
}
