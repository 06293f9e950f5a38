//! [`LedgerBuilder::build`]: validates the staged records (SPEC §3),
//! groups prospect records into prospects (SPEC §4) and lays out the
//! ledger, one named stage after another.

use super::identity::{clusters_from_labels, supplied_labels};
use super::validate::{Rejections, accept_unique, dense_order, lookup, screen, sort_by_bytes};
use super::*;
use crate::ingest::stage::StagedProspect;
use crate::ingest::stage::{StagedMeeting, StagedSale};
use crate::par;
use crate::union_find::UnionFind;
use hashbrown::HashMap;

/// The build, stage by stage. Each stage takes what it consumes out of
/// the staging area, so memory is freed as the build goes.
pub(super) fn build(builder: LedgerBuilder) -> Result<Ledger> {
    let LedgerBuilder {
        mode,
        identity,
        staging: mut b,
    } = builder;
    let mut rej = Rejections {
        list: std::mem::take(&mut b.early_rejections),
    };
    let reps = accept_reps(&mut b, &mut rej);
    let (record_order, rec_of_sym) = accept_records(&mut b, &reps.rep_of_sym, &mut rej);
    let mut warnings = Vec::new();
    // A supplied partition (possibly millions of ids) needs only the
    // records' ids: grouped first, it is freed before the records are
    // copied, the build's largest moment.
    let grouping = group_by_ids(identity, &b, record_order.len(), &rec_of_sym, &mut warnings);
    let records = gather_records(&mut b, &record_order, &reps.rep_of_sym);
    drop(record_order);
    let mut labels = match grouping {
        Grouping::Labels(labels) => labels,
        Grouping::Deduplicate(d) => deduplicated_labels(d.as_ref(), &b, &records)?,
    };
    apply_links(&mut labels, &b, &rec_of_sym);
    let (record_prospect, prospect_records_offsets, prospect_records) =
        clusters_from_labels(&labels);
    drop(labels);
    let refs = References::new(&b, &reps.rep_of_sym, &rec_of_sym);
    // Record ids are not looked up again: free the table (about 40 bytes
    // per record) before the largest tables are gathered.
    b.record_syms = Default::default();
    let (contact_ids, contacts) = accept_contacts(&mut b, &refs, &mut rej);
    let (meeting_ids, meetings) = accept_meetings(&b, &refs, &mut rej);
    let (sale_ids, sales, currencies) = accept_sales(&b, &refs, &mut rej);
    let mut rejections = rej.list;
    // Readers report syntax rejections before the builder's checks run.
    rejections.sort();
    if mode == Mode::Strict && !rejections.is_empty() {
        return Err(Error::Rejected { rejections });
    }
    let mut ledger = Ledger {
        reps: reps.reps,
        rep_team: reps.rep_team,
        teams: reps.teams,
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
        time_span_us: None,
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

/// Accepted reps in id order, their teams, and the dense index of each
/// rep symbol (`NONE` when rejected or unknown).
struct AcceptedReps {
    reps: Vec<Rep>,
    rep_team: Vec<u32>,
    teams: Vec<String>,
    rep_of_sym: Vec<u32>,
}

/// Stage 1: reps (SPEC §3: id given, target not negative, first valid
/// row of an id wins), re-indexed in id byte order, with their teams.
fn accept_reps(b: &mut Staging, rej: &mut Rejections) -> AcceptedReps {
    let mut rep_taken = vec![false; b.rep_syms.len()];
    let mut rep_accepted_syms = Vec::new();
    let mut rep_by_sym: Vec<Option<Rep>> = vec![None; b.rep_syms.len()];
    for (row, rep) in std::mem::take(&mut b.reps) {
        let id = rep.rep_id.as_str();
        // Every staged rep id is interned by `push_rep`.
        let sym = b.rep_syms.lookup(id);
        debug_assert!(sym.is_some());
        let reason = if id.is_empty() {
            Some(("rep_id", Reason::MissingField))
        } else if rep.daily_contact_target.is_some_and(|t| t < 0) {
            Some(("daily_contact_target", Reason::NegativeNumber))
        } else if sym.is_some_and(|s| rep_taken.get(s as usize) == Some(&true)) {
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
            (None, None) => rej.add(RecordKind::Rep, row, id, "rep_id", Reason::MissingField),
        }
    }
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
    AcceptedReps {
        reps,
        rep_team,
        teams: (0..teams.len() as u32)
            .map(|t| teams.get(t).to_owned())
            .collect(),
        rep_of_sym,
    }
}

/// Stage 2: prospect records (SPEC §3: id given, creator known, first
/// valid row wins): the staged indices of the accepted ones in id byte
/// order, and the dense index of each record symbol.
fn accept_records(
    b: &mut Staging,
    rep_of_sym: &[u32],
    rej: &mut Rejections,
) -> (Vec<u32>, Vec<u32>) {
    let accepted = screen_records(b, rep_of_sym, rej);
    let rec_syms: Vec<u32> = accepted
        .iter()
        .filter_map(|&i| b.prospects.get(i as usize).map(|p| p.id))
        .collect();
    let (rec_order, rec_of_sym) = dense_order(&b.record_syms, &rec_syms);
    drop(rec_syms);
    let mut staged_of_sym = vec![NONE; b.record_syms.len()];
    for &i in &accepted {
        if let Some(p) = b.prospects.get(i as usize)
            && let Some(slot) = staged_of_sym.get_mut(p.id as usize)
        {
            *slot = i;
        }
    }
    let staged = rec_order
        .iter()
        .map(|&sym| lookup(&staged_of_sym, sym))
        .collect();
    (staged, rec_of_sym)
}

/// The staged indices of the prospect records that pass the checks, in
/// row order; rejections for the others.
fn screen_records(b: &Staging, rep_of_sym: &[u32], rej: &mut Rejections) -> Vec<u32> {
    let mut rec_taken = vec![false; b.record_syms.len()];
    let mut accepted = Vec::new();
    for (i, p) in b.prospects.iter().enumerate() {
        let id = b.record_syms.get(p.id);
        let reason = if id.is_empty() {
            Some(("prospect_id", Reason::MissingField))
        } else if p.created_by != NONE && lookup(rep_of_sym, p.created_by) == NONE {
            Some(("created_by", Reason::UnknownRep))
        } else if rec_taken.get(p.id as usize) == Some(&true) {
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
            accepted.push(i as u32);
        }
    }
    accepted
}

/// The accepted prospect records (`order`: staged indices in id order)
/// gathered into columns. Frees the staged records.
fn gather_records(b: &mut Staging, order: &[u32], rep_of_sym: &[u32]) -> ProspectRecords {
    let created_by = |p: &StagedProspect| {
        if p.created_by == NONE {
            NONE
        } else {
            lookup(rep_of_sym, p.created_by)
        }
    };
    let records = ProspectRecords::gathered(
        order,
        &b.prospects,
        &b.prospect_texts,
        &b.record_syms,
        created_by,
    );
    // Staged prospect text is copied into `records`; free it before the
    // (much larger) event tables are built.
    b.prospect_texts = Default::default();
    b.prospects = Vec::new();
    records
}

/// Stage 3, prospect identity (SPEC §4): labels when the ids decide
/// (every record alone, or a supplied partition), else the deduplicator
/// that will decide from the records' details.
enum Grouping {
    Labels(Vec<u32>),
    Deduplicate(Box<dyn Deduplicate>),
}

/// The grouping `identity` gives `records` accepted records, as far as
/// their ids decide it.
fn group_by_ids(
    identity: ProspectIdentity,
    b: &Staging,
    records: usize,
    rec_of_sym: &[u32],
    warnings: &mut Vec<Warning>,
) -> Grouping {
    match identity {
        ProspectIdentity::Singletons => Grouping::Labels((0..records as u32).collect()),
        ProspectIdentity::Supplied(p) => Grouping::Labels(supplied_labels(
            &p,
            records,
            &b.record_syms,
            rec_of_sym,
            warnings,
        )),
        ProspectIdentity::Deduplicate(d) => Grouping::Deduplicate(d),
    }
}

/// A group label for every record, from the deduplicator.
fn deduplicated_labels(
    d: &dyn Deduplicate,
    b: &Staging,
    records: &ProspectRecords,
) -> Result<Vec<u32>> {
    if b.drop_prospect_text {
        return Err(Error::invalid(
            "prospect identity",
            "cannot deduplicate prospect records whose details were dropped \
             (keep_prospect_details(false)); supply a partition instead",
        ));
    }
    let labels = d.group(records)?;
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
    Ok(labels)
}

/// Joins the groups of records known to be one prospect (SPEC §12's
/// must-links): the groups of both ends of every link become one. Links
/// naming a record that was not accepted are ignored.
fn apply_links(labels: &mut [u32], b: &Staging, rec_of_sym: &[u32]) {
    if b.links.is_empty() {
        return;
    }
    let record = |id: &str| {
        let sym = b.record_syms.lookup(id)?;
        let r = rec_of_sym.get(sym as usize).copied()?;
        (r != NONE && (r as usize) < labels.len()).then_some(r)
    };
    // One set per record; records of one group start joined.
    let mut sets = UnionFind::new(labels.len());
    let mut first_of_label: HashMap<u32, u32> = HashMap::new();
    for (r, &label) in labels.iter().enumerate() {
        let first = *first_of_label.entry(label).or_insert(r as u32);
        sets.union(first, r as u32);
    }
    for (a, c) in &b.links {
        if let (Some(a), Some(c)) = (record(a), record(c)) {
            sets.union(a, c);
        }
    }
    for (r, label) in labels.iter_mut().enumerate() {
        *label = sets.find(r as u32);
    }
}

/// The checks of event references shared by contacts, meetings and sales,
/// in SPEC §3 order after the record-specific ones.
struct References<'a> {
    rep_of_sym: &'a [u32],
    rec_of_sym: &'a [u32],
    /// The empty string's symbols (if interned): comparing symbols spares
    /// a read of the id text per event.
    empty_rep: Option<u32>,
    empty_record: Option<u32>,
    rep_count: usize,
    record_count: usize,
}

impl<'a> References<'a> {
    fn new(b: &Staging, rep_of_sym: &'a [u32], rec_of_sym: &'a [u32]) -> Self {
        Self {
            rep_of_sym,
            rec_of_sym,
            empty_rep: b.rep_syms.lookup(""),
            empty_record: b.record_syms.lookup(""),
            rep_count: b.rep_syms.len(),
            record_count: b.record_syms.len(),
        }
    }

    /// A required id or reference that is absent.
    fn missing(
        &self,
        id: &str,
        rep: u32,
        record: u32,
        id_field: &'static str,
    ) -> Option<(&'static str, Reason)> {
        if id.is_empty() {
            Some((id_field, Reason::MissingField))
        } else if rep as usize >= self.rep_count || Some(rep) == self.empty_rep {
            Some(("rep_id", Reason::MissingField))
        } else if record as usize >= self.record_count || Some(record) == self.empty_record {
            Some(("prospect_id", Reason::MissingField))
        } else {
            None
        }
    }

    /// A reference to no accepted rep or record.
    fn unknown(&self, rep: u32, record: u32) -> Option<(&'static str, Reason)> {
        if lookup(self.rep_of_sym, rep) == NONE {
            Some(("rep_id", Reason::UnknownRep))
        } else if lookup(self.rec_of_sym, record) == NONE {
            Some(("prospect_id", Reason::UnknownProspect))
        } else {
            None
        }
    }
}

/// Stage 4: contacts, validated (in parallel), then compacted, re-indexed
/// and put in id order in place, so each contact's fields exist once.
fn accept_contacts(
    b: &mut Staging,
    refs: &References<'_>,
    rej: &mut Rejections,
) -> (TextColumn, Vec<ContactRow>) {
    let order = contact_order(b, refs, rej);
    let mut contacts = std::mem::take(&mut b.contacts);
    let mut staged_ids = std::mem::take(&mut b.contact_ids);
    // Every staged contact kept, already in id order (a common export):
    // nothing to copy or move.
    let kept_in_place =
        order.len() == contacts.len() && order.iter().enumerate().all(|(k, &i)| k as u32 == i);
    if !kept_in_place {
        // One after the other, each old table freed as soon as its
        // gathered twin exists: the peak memory of the build is here.
        staged_ids = staged_ids.gathered(&order);
        contacts = gather_rows(&order, &contacts);
    }
    drop(order);
    par::for_each_mut(&mut contacts, |c| {
        c.rep = lookup(refs.rep_of_sym, c.rep);
        c.record = lookup(refs.rec_of_sym, c.record);
    });
    contacts.shrink_to_fit();
    (staged_ids, contacts)
}

/// The staged indices of the contacts that pass, in id order; rejections
/// for the others.
fn contact_order(b: &mut Staging, refs: &References<'_>, rej: &mut Rejections) -> Vec<u32> {
    let contact_rows = std::mem::take(&mut b.contact_rows);
    // invariant: one source row per staged contact.
    debug_assert_eq!(contact_rows.len(), b.contacts.len());
    let row_of = |i: u32| contact_rows.get(i as usize).unwrap_or_default();
    let ids = &b.contact_ids;
    let (candidates, failed) = screen(&b.contacts, |i, c| {
        refs.missing(staged_id(ids, i), c.rep, c.record, "contact_id")
            .or_else(|| {
                c.duration_s()
                    .is_some_and(|d| d < 0)
                    .then_some(("duration_s", Reason::NegativeNumber))
            })
            .or_else(|| {
                c.logged_us()
                    .is_some_and(|l| l < c.occurred_us)
                    .then_some(("logged_at", Reason::LoggedBeforeOccurred))
            })
            .or_else(|| refs.unknown(c.rep, c.record))
    });
    let kind = (RecordKind::Contact, "contact_id");
    accept_screened(kind, ids, (candidates, failed), row_of, rej)
}

/// Of the staged rows screened into `candidates` and `failed`, the
/// candidates with the first row of each id, in id order
/// ([`accept_unique`]); rejections of kind `kind.0` for the failed rows
/// and the repeated ids (field `kind.1`), at the source rows `row_of`
/// gives.
fn accept_screened(
    (kind, id_field): (RecordKind, &'static str),
    ids: &TextColumn,
    (candidates, failed): (Vec<u32>, Vec<(u32, &'static str, Reason)>),
    row_of: impl Fn(u32) -> u64,
    rej: &mut Rejections,
) -> Vec<u32> {
    for (i, field, reason) in failed {
        rej.add(kind, row_of(i), staged_id(ids, i as usize), field, reason);
    }
    accept_unique(ids, candidates, |i, id| {
        rej.add(kind, row_of(i), id, id_field, Reason::DuplicateId);
    })
}

/// The id of staged record `i` (every staged record has one).
fn staged_id(ids: &TextColumn, i: usize) -> &str {
    debug_assert!(i < ids.len());
    ids.get(i).unwrap_or_default()
}

/// Contact rows gathered in `order` (staged indices), in parallel: each
/// read is random, but they are independent, so their cache misses
/// overlap (moving rows in place, cycle by cycle, misses once per row in
/// turn).
fn gather_rows(order: &[u32], contacts: &[ContactRow]) -> Vec<ContactRow> {
    // invariant: `order` holds staged contact indices.
    debug_assert!(order.iter().all(|&i| (i as usize) < contacts.len()));
    #[allow(clippy::indexing_slicing)]
    let row_at = |&i: &u32| contacts[i as usize];
    par::map(order, row_at)
}

/// Stage 5: meetings (SPEC §3), re-indexed in id order.
fn accept_meetings(
    b: &Staging,
    refs: &References<'_>,
    rej: &mut Rejections,
) -> (TextColumn, Vec<MeetingRow>) {
    let ids = &b.meeting_ids;
    let screened = screen(&b.meetings, |i, m| {
        refs.missing(staged_id(ids, i), m.rep, m.record, "meeting_id")
            .or_else(|| refs.unknown(m.rep, m.record))
    });
    let staged = |i: u32| -> &StagedMeeting {
        debug_assert!((i as usize) < b.meetings.len());
        // invariant: candidates and failures are staged meeting indices.
        #[allow(clippy::indexing_slicing)]
        &b.meetings[i as usize]
    };
    let kind = (RecordKind::Meeting, "meeting_id");
    let order = accept_screened(kind, ids, screened, |i| staged(i).row, rej);
    // Gathered on all threads, as contacts are.
    let meetings = par::map(&order, |&i| {
        let m = staged(i);
        MeetingRow {
            rep: lookup(refs.rep_of_sym, m.rep),
            record: lookup(refs.rec_of_sym, m.record),
            prospect: NONE,
            held_us: m.held_us,
            status: m.status,
        }
    });
    (ids.gathered(&order), meetings)
}

/// Stage 6: sales (SPEC §3), re-indexed in id order, with the currencies
/// of accepted sales in byte order.
fn accept_sales(
    b: &Staging,
    refs: &References<'_>,
    rej: &mut Rejections,
) -> (TextColumn, Vec<SaleRow>, Vec<String>) {
    let ids = &b.sale_ids;
    let screened = screen(&b.sales, |i, s| {
        refs.missing(staged_id(ids, i), s.rep, s.record, "sale_id")
            .or_else(|| {
                s.amount
                    .is_some_and(|a| a < 0)
                    .then_some(("amount_minor", Reason::NegativeNumber))
            })
            .or_else(|| refs.unknown(s.rep, s.record))
    });
    let staged = |i: u32| -> &StagedSale {
        debug_assert!((i as usize) < b.sales.len());
        // invariant: candidates and failures are staged sale indices.
        #[allow(clippy::indexing_slicing)]
        &b.sales[i as usize]
    };
    let kind = (RecordKind::Sale, "sale_id");
    let order = accept_screened(kind, ids, screened, |i| staged(i).row, rej);
    let (currencies, cur_of_sym) = used_currencies(b, order.iter().map(|&i| staged(i)));
    // Gathered on all threads, as contacts are.
    let sales = par::map(&order, |&i| {
        let s = staged(i);
        SaleRow {
            rep: lookup(refs.rep_of_sym, s.rep),
            record: lookup(refs.rec_of_sym, s.record),
            prospect: NONE,
            closed_us: s.closed_us,
            // A flag says whether it was given; 0 is never read as one.
            amount: s.amount.unwrap_or(0),
            currency: lookup(&cur_of_sym, s.currency),
            has_amount: s.amount.is_some(),
        }
    });
    (ids.gathered(&order), sales, currencies)
}

/// The currencies of accepted sales only (a rejected sale's currency must
/// not appear in results), re-indexed in byte order so revenue rows sort
/// by index; and the new index of each currency symbol.
fn used_currencies<'s>(
    b: &Staging,
    accepted: impl Iterator<Item = &'s StagedSale>,
) -> (Vec<String>, Vec<u32>) {
    let mut currency_used = vec![false; b.currency_syms.len()];
    for s in accepted {
        if let Some(u) = currency_used.get_mut(s.currency as usize) {
            *u = true;
        }
    }
    let mut cur_syms: Vec<u32> = (0..b.currency_syms.len() as u32)
        .filter(|&c| currency_used.get(c as usize) == Some(&true))
        .collect();
    sort_by_bytes(&mut cur_syms, |s| b.currency_syms.get(s));
    let mut cur_of_sym = vec![NONE; b.currency_syms.len()];
    for (new, &sym) in cur_syms.iter().enumerate() {
        if let Some(slot) = cur_of_sym.get_mut(sym as usize) {
            *slot = new as u32;
        }
    }
    let currencies = cur_syms
        .iter()
        .map(|&s| b.currency_syms.get(s).to_owned())
        .collect();
    (currencies, cur_of_sym)
}
