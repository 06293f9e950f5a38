//! SPEC §13: after every update, a live ledger's classes, engagements and
//! prospects equal a batch run on the records accepted so far, and every
//! update reports exactly the contacts whose class or engagement changed.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use proptest::prelude::*;
use sales_metrics::live::{ClassChange, LiveLedger};
use sales_metrics::report::{Granularity, PeriodSpec, Scope};
use sales_metrics::{
    Channel, ClassifyConfig, Contact, ContactClass, Error, LedgerBuilder, Meeting, MeetingStatus,
    Newness, ProspectRecord, Reason, RecordKind, Records, Rep, Sale, classify,
};

type TestResult = Result<(), Box<dyn std::error::Error>>;

const REPS: usize = 3;
const RECORDS: usize = 6;

fn at(hours: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap() + TimeDelta::hours(i64::from(hours))
}

#[derive(Debug, Clone)]
enum Op {
    AddContact(u8, u8, u8, u32),
    ReplaceContact(u8, u8, u8, u32),
    RemoveContact(u8),
    AddMeeting(u8, u8, u8, u32, bool),
    RemoveMeeting(u8),
    AddSale(u8, u8, u8, u32),
    ReplaceSale(u8, u8, u8, u32),
    RemoveSale(u8),
    Merge(u8, u8),
    Split(u8),
}

/// Times over about 400 days in steps of 20 days and a few hours, so
/// that gaps land on both sides of the 180-day dormancy and ties occur.
fn time() -> impl Strategy<Value = u32> {
    (0u32..20, 0u32..3).prop_map(|(d, h)| d * 20 * 24 + h)
}

fn op() -> impl Strategy<Value = Op> {
    let rep = 0..REPS as u8;
    let rec = 0..RECORDS as u8;
    prop_oneof![
        6 => (0u8..14, rep.clone(), rec.clone(), time()).prop_map(|(i, r, p, t)| Op::AddContact(i, r, p, t)),
        1 => (0u8..14, rep.clone(), rec.clone(), time()).prop_map(|(i, r, p, t)| Op::ReplaceContact(i, r, p, t)),
        1 => (0u8..14).prop_map(Op::RemoveContact),
        1 => (0u8..4, rep.clone(), rec.clone(), time(), any::<bool>()).prop_map(|(i, r, p, t, h)| Op::AddMeeting(i, r, p, t, h)),
        1 => (0u8..4).prop_map(Op::RemoveMeeting),
        2 => (0u8..4, rep.clone(), rec.clone(), time()).prop_map(|(i, r, p, t)| Op::AddSale(i, r, p, t)),
        1 => (0u8..4, rep.clone(), rec.clone(), time()).prop_map(|(i, r, p, t)| Op::ReplaceSale(i, r, p, t)),
        1 => (0u8..4).prop_map(Op::RemoveSale),
        2 => (rec.clone(), rec.clone()).prop_map(|(a, b)| Op::Merge(a, b)),
        1 => rec.prop_map(Op::Split),
    ]
}

fn contact(i: u8, r: u8, p: u8, t: u32) -> Contact {
    Contact::new(
        format!("c{i:02}"),
        format!("r{r}"),
        format!("p{p}"),
        at(t),
        Channel::Phone,
    )
}

fn sale(i: u8, r: u8, p: u8, t: u32) -> Sale {
    let mut s = Sale::new(format!("s{i}"), format!("r{r}"), format!("p{p}"), at(t));
    // Some sales without an amount, one currency absent, two codes.
    s.amount_minor = (!i.is_multiple_of(3)).then_some(i64::from(t % 7) * 100);
    s.currency = match i % 4 {
        0 => None,
        1 => Some("EUR".to_owned()),
        _ => Some("RON".to_owned()),
    };
    s
}

/// What the update reported: the contact that is the update's own subject
/// (its entry says its class) with the touches its entry gave, and the
/// changes.
fn apply(live: &mut LiveLedger, op: &Op) -> (Option<(String, u32)>, Vec<ClassChange>) {
    let ok_or_empty = |r: Result<Vec<ClassChange>, Error>| r.unwrap_or_default();
    match op {
        Op::AddContact(i, r, p, t) => {
            let c = contact(*i, *r, *p, *t);
            let id = c.contact_id.as_str().to_owned();
            match live.add_contact(&c) {
                Ok(e) => (Some((id, e.touches)), e.changes),
                Err(_) => (None, Vec::new()),
            }
        }
        Op::ReplaceContact(i, r, p, t) => {
            let c = contact(*i, *r, *p, *t);
            let id = c.contact_id.as_str().to_owned();
            match live.replace_contact(&c) {
                Ok(e) => (Some((id, e.touches)), e.changes),
                Err(_) => (None, Vec::new()),
            }
        }
        Op::RemoveContact(i) => (None, ok_or_empty(live.remove_contact(&format!("c{i:02}")))),
        Op::AddMeeting(i, r, p, t, held) => {
            let mut m = Meeting::new(format!("m{i}"), format!("r{r}"), format!("p{p}"), at(*t));
            if !held {
                m.status = MeetingStatus::NoShow;
            }
            let _ = live.add_meeting(&m);
            (None, Vec::new())
        }
        Op::RemoveMeeting(i) => {
            let _ = live.remove_meeting(&format!("m{i}"));
            (None, Vec::new())
        }
        Op::AddSale(i, r, p, t) => (None, ok_or_empty(live.add_sale(&sale(*i, *r, *p, *t)))),
        Op::ReplaceSale(i, r, p, t) => {
            (None, ok_or_empty(live.replace_sale(&sale(*i, *r, *p, *t))))
        }
        Op::RemoveSale(i) => (None, ok_or_empty(live.remove_sale(&format!("s{i}")))),
        Op::Merge(a, b) => (
            None,
            ok_or_empty(live.merge_prospects(&format!("p{a}"), &format!("p{b}"))),
        ),
        Op::Split(a) => (None, ok_or_empty(live.split_prospect(&format!("p{a}")))),
    }
}

/// (class, engagement start) of every contact of the live ledger.
type States = BTreeMap<String, (ContactClass, Option<String>)>;

fn live_states(live: &LiveLedger) -> States {
    live.to_records()
        .contacts
        .iter()
        .filter_map(|c| {
            let id = c.contact_id.as_str();
            let class = live.class(id)?;
            Some((
                id.to_owned(),
                (class, live.engagement_of(id).map(str::to_owned)),
            ))
        })
        .collect()
}

/// Contacts of `id`'s engagement up to and including it, in SPEC §5
/// order (0 for a contact outside any).
fn touches_of(live: &LiveLedger, id: &str) -> u32 {
    let Some(engagement) = live.engagement_of(id) else {
        return 0;
    };
    let records = live.to_records();
    let key = |c: &Contact| (c.occurred_at, c.contact_id.as_str().to_owned());
    let Some(me) = records
        .contacts
        .iter()
        .find(|c| c.contact_id.as_str() == id)
    else {
        return 0;
    };
    records
        .contacts
        .iter()
        .filter(|c| live.engagement_of(c.contact_id.as_str()) == Some(engagement))
        .filter(|c| key(c) <= key(me))
        .count() as u32
}

/// The batch classes of the accepted records (no reports compared).
fn batch_classes(live: &LiveLedger, config: &ClassifyConfig) -> Result<States, Error> {
    let mut b = LedgerBuilder::new();
    b.partition(live.partition());
    b.add_records(live.to_records());
    let ledger = b.build()?;
    Ok(classify(&ledger, config)
        .contacts()
        .map(|c| {
            (
                c.contact_id.to_owned(),
                (c.class, c.engagement.map(str::to_owned)),
            )
        })
        .collect())
}

/// The period specs the live ledgers of these tests keep up to date.
fn tracked() -> [PeriodSpec; 2] {
    let weeks = PeriodSpec::new(Granularity::IsoWeek).in_zone_named("America/New_York");
    [PeriodSpec::monthly(), weeks.unwrap()]
}

/// The batch run on the accepted records, in reverse arrival order (the
/// order of records must not matter), with the live prospects; checks the
/// live period reports against the batch ones on the way.
fn batch_states(live: &LiveLedger, config: &ClassifyConfig) -> Result<States, Error> {
    let mut records = live.to_records();
    records.contacts.reverse();
    records.meetings.reverse();
    records.sales.reverse();
    let mut b = LedgerBuilder::new();
    b.partition(live.partition());
    b.add_records(records);
    let ledger = b.build()?;
    for r in 0..RECORDS {
        let id = format!("p{r}");
        assert_eq!(
            ledger.prospect_of(&id),
            live.prospect_of(&id),
            "prospect of {id}"
        );
    }
    let classified = classify(&ledger, config);
    for spec in tracked() {
        let want = classified.period_report(&Scope::all(), &spec)?;
        let got = live.period_report(&spec)?;
        assert_eq!(
            got.table().to_string(),
            want.table().to_string(),
            "{spec:?}"
        );
        assert_eq!(
            got.revenue_table().to_string(),
            want.revenue_table().to_string()
        );
        assert_eq!(got, want);
        let want = classified.cohort_report(&Scope::all(), &spec)?;
        let got = live.cohort_report(&spec)?;
        assert_eq!(
            got.table().to_string(),
            want.table().to_string(),
            "{spec:?}"
        );
        assert_eq!(got, want);
    }
    let win = classified.time_to_win(&Scope::all(), None)?;
    assert_eq!(
        live.time_to_win(None)?.table().to_string(),
        win.table().to_string()
    );
    assert_eq!(live.time_to_win(None)?, win);
    let met = classified.time_to_first_meeting(&Scope::all(), Some(at(200 * 24)))?;
    assert_eq!(live.time_to_first_meeting(Some(at(200 * 24)))?, met);
    Ok(classified
        .contacts()
        .map(|c| {
            (
                c.contact_id.to_owned(),
                (c.class, c.engagement.map(str::to_owned)),
            )
        })
        .collect())
}

fn setup(config: ClassifyConfig) -> LiveLedger {
    let mut live = setup_untracked(config);
    for spec in tracked() {
        live.track_periods(spec);
    }
    live.track_survival();
    live
}

/// A live ledger that keeps no report up to date (its contacts appended
/// last take the quick path).
fn setup_untracked(config: ClassifyConfig) -> LiveLedger {
    let mut live = LiveLedger::new(config);
    for r in 0..REPS {
        live.add_rep(&Rep::new(format!("r{r}"))).unwrap();
    }
    // Added in reverse id order: a prospect's smallest record id is not
    // its first record.
    for p in (0..RECORDS).rev() {
        live.add_prospect(&ProspectRecord::new(format!("p{p}")))
            .unwrap();
    }
    live
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn every_update_equals_the_batch_and_reports_its_changes(
        ops in proptest::collection::vec(op(), 1..40),
        per_rep in any::<bool>(),
        track in any::<bool>(),
        shrink_at in 0usize..40,
    ) {
        let config = ClassifyConfig {
            newness: if per_rep { Newness::PerRep } else { Newness::Organisation },
            ..ClassifyConfig::default()
        };
        let mut live = if track { setup(config) } else { setup_untracked(config) };
        for (k, op) in ops.iter().enumerate() {
            // Freeing the tables' room changes nothing a later update sees.
            if k == shrink_at {
                live.shrink_to_fit();
            }
            let before = live_states(&live);
            let (subject, changes) = apply(&mut live, op);
            let after = live_states(&live);
            let batch = if track {
                batch_states(&live, &config).unwrap()
            } else {
                batch_classes(&live, &config).unwrap()
            };
            prop_assert_eq!(&after, &batch, "after {:?}", op);
            if let Some((id, touches)) = &subject {
                prop_assert_eq!(*touches, touches_of(&live, id), "touches of {}", id);
            }
            let subject = subject.map(|(id, _)| id);
            let mut want: Vec<String> = before
                .iter()
                .filter(|(id, _)| Some(*id) != subject.as_ref())
                .filter(|(id, old)| after.get(*id).is_some_and(|new| new != *old))
                .map(|(id, _)| id.clone())
                .collect();
            let mut got: Vec<String> = changes.iter().map(|c| c.contact_id.as_str().to_owned()).collect();
            want.sort();
            got.sort();
            prop_assert_eq!(got, want, "changes reported by {:?}", op);
            for c in &changes {
                let id = c.contact_id.as_str();
                let from = (c.from, c.from_engagement.as_ref().map(|e| e.as_str().to_owned()));
                let to = (c.to, c.to_engagement.as_ref().map(|e| e.as_str().to_owned()));
                prop_assert_eq!(Some(&from), before.get(id));
                prop_assert_eq!(Some(&to), after.get(id));
            }
        }
    }

    #[test]
    fn a_snapshot_plus_later_updates_equals_replaying_everything(
        ops in proptest::collection::vec(op(), 2..30),
        cut in 0usize..30,
    ) {
        let config = ClassifyConfig::default();
        let mut replayed = setup(config);
        let cut = cut.min(ops.len());
        for op in ops.get(..cut).unwrap_or_default() {
            apply(&mut replayed, op);
        }
        // A human-readable format holds the tables as they are, a binary
        // one packs each of them: both read back the same ledger.
        let json = serde_json::to_string(&replayed).unwrap();
        let mut restored: LiveLedger = serde_json::from_str(&json).unwrap();
        let packed = postcard::to_allocvec(&replayed).unwrap();
        let mut unpacked: LiveLedger = postcard::from_bytes(&packed).map_err(|e| e.to_string()).unwrap();
        prop_assert_eq!(live_states(&restored), live_states(&replayed));
        prop_assert_eq!(live_states(&unpacked), live_states(&replayed));
        for op in ops.get(cut..).unwrap_or_default() {
            apply(&mut replayed, op);
            apply(&mut restored, op);
            apply(&mut unpacked, op);
        }
        prop_assert_eq!(live_states(&unpacked), live_states(&replayed));
        prop_assert_eq!(live_states(&restored), live_states(&replayed));
        for spec in tracked() {
            prop_assert_eq!(restored.period_report(&spec).unwrap(), replayed.period_report(&spec).unwrap());
            prop_assert_eq!(restored.cohort_report(&spec).unwrap(), replayed.cohort_report(&spec).unwrap());
        }
        prop_assert_eq!(restored.time_to_win(None).unwrap(), replayed.time_to_win(None).unwrap());
        // The same records; their order may differ (an id removed before the
        // snapshot and added again after it keeps its first place only in
        // the ledger that saw it first).
        prop_assert_eq!(sorted(restored.to_records()), sorted(replayed.to_records()));
        let pairs = |l: &LiveLedger| -> Vec<(String, String)> {
            l.partition().iter().map(|(a, b)| (a.to_owned(), b.to_owned())).collect()
        };
        prop_assert_eq!(pairs(&restored), pairs(&replayed));
    }
}

fn sorted(mut r: Records) -> Records {
    r.contacts
        .sort_by(|a, b| a.contact_id.as_str().cmp(b.contact_id.as_str()));
    r.meetings
        .sort_by(|a, b| a.meeting_id.as_str().cmp(b.meeting_id.as_str()));
    r.sales
        .sort_by(|a, b| a.sale_id.as_str().cmp(b.sale_id.as_str()));
    r
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// A damaged snapshot is an error, never a panic or a ledger that
    /// breaks SPEC §3.
    #[test]
    fn a_damaged_snapshot_is_an_error_not_a_panic(
        ops in proptest::collection::vec(op(), 1..20),
        damage in proptest::collection::vec((any::<prop::sample::Index>(), 0u8..10), 1..4),
        damage_bytes in proptest::collection::vec((any::<prop::sample::Index>(), 1u8..=255), 1..4),
    ) {
        let mut live = setup(ClassifyConfig::default());
        for op in &ops {
            apply(&mut live, op);
        }
        let mut json = serde_json::to_vec(&live).unwrap();
        let digits: Vec<usize> = (0..json.len()).filter(|&i| json[i].is_ascii_digit()).collect();
        for (at, digit) in damage {
            let i = digits[at.index(digits.len())];
            json[i] = b'0' + digit;
        }
        if let Ok(back) = serde_json::from_slice::<LiveLedger>(&json) {
            // Whatever it reads must be a valid ledger: the batch agrees
            // (under the settings it read, which the damage may change).
            let config = *back.config();
            let _ = batch_states(&back, &config);
        }
        // The same of a binary snapshot (its tables packed) with bytes
        // overwritten.
        let mut packed = postcard::to_allocvec(&live).unwrap();
        for (at, digit) in damage_bytes {
            let i = at.index(packed.len());
            packed[i] = packed[i].wrapping_add(digit);
        }
        if let Ok(back) = postcard::from_bytes::<LiveLedger>(&packed) {
            let config = *back.config();
            let _ = batch_states(&back, &config);
        }
    }
}

#[test]
fn a_snapshot_of_another_format_version_is_refused_by_its_version() -> TestResult {
    let mut live = setup(ClassifyConfig::default());
    live.add_contact(&contact(1, 0, 0, 0))?;
    let mut json: serde_json::Value = serde_json::to_value(&live)?;
    json["version"] = 1.into();
    let err = serde_json::from_value::<LiveLedger>(json)
        .err()
        .map(|e| e.to_string());
    assert!(err.is_some_and(|e| e.contains("version 1")));
    // Binary: the version comes first (a one-byte varint); the rest is a
    // valid snapshot, so the version alone refuses it.
    let mut packed = postcard::to_allocvec(&live)?;
    assert_eq!(packed[0], 2);
    assert!(postcard::from_bytes::<LiveLedger>(&packed).is_ok());
    packed[0] = 1;
    assert!(postcard::from_bytes::<LiveLedger>(&packed).is_err());
    Ok(())
}

#[test]
fn a_rejected_update_returns_its_rejection_and_changes_nothing() -> TestResult {
    let mut live = setup(ClassifyConfig::default());
    live.add_contact(&contact(1, 0, 0, 0))?;
    let before = live.to_records();
    let cases = [
        (contact(2, 9, 0, 5), "rep_id", Reason::UnknownRep),
        (contact(2, 0, 9, 5), "prospect_id", Reason::UnknownProspect),
        (contact(1, 0, 0, 5), "contact_id", Reason::DuplicateId),
        (
            Contact {
                duration_s: Some(-1),
                ..contact(3, 0, 0, 5)
            },
            "duration_s",
            Reason::NegativeNumber,
        ),
        (
            Contact {
                logged_at: Some(at(1)),
                ..contact(4, 0, 0, 5)
            },
            "logged_at",
            Reason::LoggedBeforeOccurred,
        ),
        (
            contact(5, 0, 0, 5).with_id(""),
            "contact_id",
            Reason::MissingField,
        ),
    ];
    for (row, (c, field, reason)) in cases.into_iter().enumerate() {
        let Err(Error::Rejected { rejections }) = live.add_contact(&c) else {
            panic!("{field} should be rejected");
        };
        let r = &rejections[0];
        assert_eq!(
            (r.kind, r.field.as_str(), r.reason),
            (RecordKind::Contact, field, reason)
        );
        assert_eq!(r.row, row as u64 + 2, "the second contact tried is row 2");
    }
    assert_eq!(live.to_records(), before);
    Ok(())
}

trait WithId {
    fn with_id(self, id: &str) -> Self;
}

impl WithId for Contact {
    fn with_id(mut self, id: &str) -> Self {
        self.contact_id = id.into();
        self
    }
}

#[test]
fn a_live_ledger_from_the_demo_ledger_classifies_as_the_batch() -> TestResult {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/data/demo");
    let ledger = sales_metrics::load_folder(dir, sales_metrics::Mode::Lenient)?;
    let config = ClassifyConfig::default();
    let live = LiveLedger::from_ledger(&ledger, config)?;
    let batch = classify(&ledger, &config);
    for c in batch.contacts() {
        assert_eq!(live.class(c.contact_id), Some(c.class), "{}", c.contact_id);
        assert_eq!(
            live.engagement_of(c.contact_id),
            c.engagement,
            "{}",
            c.contact_id
        );
    }
    // The reports on the live ledger's batch form equal the batch ones.
    let again = live.to_ledger()?;
    let spec = PeriodSpec::monthly();
    let a = batch.period_report(&Scope::all(), &spec)?;
    let b = classify(&again, &config).period_report(&Scope::all(), &spec)?;
    assert_eq!(a.table().to_string(), b.table().to_string());
    Ok(())
}

#[test]
fn entries_say_what_a_crm_shows() -> TestResult {
    let mut live = setup(ClassifyConfig::default());
    let first = live.add_contact(&contact(1, 1, 2, 0))?;
    assert_eq!(first.class, ContactClass::New);
    assert_eq!((first.touches, first.last_touch.is_none()), (1, true));
    let second = live.add_contact(&contact(2, 0, 2, 12 * 24))?;
    assert_eq!(second.class, ContactClass::FollowUp);
    assert_eq!(second.touches, 2);
    assert_eq!(second.prospect_id.as_str(), "p2");
    assert_eq!(second.engagement.as_ref().map(|e| e.as_str()), Some("c01"));
    let last = second.last_touch.as_ref().ok_or("a last touch")?;
    assert_eq!((last.rep_id.as_str(), last.channel), ("r1", Channel::Phone));
    assert_eq!(second.since_last_touch, Some(TimeDelta::days(12)));
    live.add_sale(&sale(1, 0, 2, 13 * 24))?;
    let after = live.add_contact(&contact(3, 0, 2, 20 * 24))?;
    assert_eq!(after.class, ContactClass::Customer);
    assert_eq!(after.customer_since, Some(at(13 * 24)));
    assert_eq!(
        after.to_string(),
        "customer: customer since 2026-01-14; last touched 8 days ago by r0 by phone"
    );
    // A merge joins p2's history: p3's first contact is a follow-up now.
    live.add_contact(&contact(4, 2, 3, 5 * 24))?;
    let changes = live.merge_prospects("p3", "p2")?;
    assert_eq!(changes.len(), 1);
    assert_eq!(
        (changes[0].from, changes[0].to),
        (ContactClass::New, ContactClass::FollowUp)
    );
    assert_eq!(live.prospect_of("p3"), Some("p2"));
    Ok(())
}

#[test]
fn a_prospect_record_is_deduplicated_at_entry_with_its_evidence() -> TestResult {
    use sales_metrics::dedup::{Dedup, DedupIndex};
    let index = DedupIndex::new(&Dedup::prospect());
    let mut live = LiveLedger::with_dedup(ClassifyConfig::default(), index);
    live.add_rep(&Rep::new("ana"))?;
    let person = |id: &str, name: &str, email: &str, phone: &str| ProspectRecord {
        name: Some(name.to_owned()),
        company: Some("Alfa SRL".to_owned()),
        email: Some(email.to_owned()),
        phone: Some(phone.to_owned()),
        country: Some("RO".to_owned()),
        ..ProspectRecord::new(id)
    };
    let first = live.add_prospect(&person(
        "p9",
        "Ion Popescu",
        "ion.popescu@alfa.ro",
        "0721 234 567",
    ))?;
    assert!(first.new_prospect && first.matches.is_empty());
    live.add_contact(&Contact::new("c1", "ana", "p9", at(0), Channel::Phone))?;
    let other = live.add_prospect(&person(
        "p3",
        "Maria Ionescu",
        "maria@beta.ro",
        "0744 000 111",
    ))?;
    assert!(other.new_prospect);
    let again = live.add_prospect(&person(
        "p5",
        "POPESCU Ion",
        "Ion.Popescu@alfa.ro",
        "+40721234567",
    ))?;
    assert!(!again.new_prospect);
    assert_eq!(
        again.prospect_id.as_str(),
        "p5",
        "the smallest record id names the prospect"
    );
    assert_eq!(again.matches[0].record_id, "p9");
    assert!(again.matches[0].evidence.probability >= again.matches[0].evidence.threshold);
    assert_eq!(live.prospect_of("p9"), Some("p5"));
    // A contact of the new record is a follow-up of the person's engagement.
    let entry = live.add_contact(&Contact::new("c2", "ana", "p5", at(24), Channel::Email))?;
    assert_eq!(entry.class, ContactClass::FollowUp);
    // The details come back as they went in.
    let records = live.to_records();
    let p5 = records
        .prospects
        .iter()
        .find(|p| p.prospect_id.as_str() == "p5");
    assert_eq!(
        p5,
        Some(&person(
            "p5",
            "POPESCU Ion",
            "Ion.Popescu@alfa.ro",
            "+40721234567"
        ))
    );
    Ok(())
}

#[test]
fn a_live_ledger_is_send_and_sync() {
    fn shared<T: Send + Sync>() {}
    shared::<LiveLedger>();
}
