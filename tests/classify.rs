//! Contact classification and engagements (SPEC §5).

mod common;

use chrono::Duration;
use common::*;
use sales_metrics::{ClassifyConfig, ContactClass, Ledger, Newness, SuppliedPartition};
use sales_metrics::{EngagementEnd, classify};

use ContactClass::*;

fn classes(ledger: &Ledger, config: &ClassifyConfig) -> Vec<(String, ContactClass)> {
    let c = classify(ledger, config);
    c.contacts()
        .map(|contact| (contact.contact_id.to_owned(), contact.class))
        .collect()
}

fn class_of(ledger: &Ledger, id: &str) -> ContactClass {
    let all = classes(ledger, &ClassifyConfig::default());
    all.into_iter().find(|(c, _)| c == id).unwrap().1
}

#[test]
fn new_follow_up_reactivated_customer() {
    let mut b = builder(&["ana"], &["p1"]);
    contact(&mut b, "c1", "ana", "p1", day(0));
    contact(&mut b, "c2", "ana", "p1", day(10));
    contact(&mut b, "c3", "ana", "p1", day(300));
    sale(&mut b, "s1", "ana", "p1", day(301));
    contact(&mut b, "c4", "ana", "p1", day(302));
    let l = b.build().unwrap();
    assert_eq!(
        classes(&l, &ClassifyConfig::default()),
        vec![
            ("c1".into(), New),
            ("c2".into(), FollowUp),
            ("c3".into(), Reactivated),
            ("c4".into(), Customer)
        ]
    );
}

#[test]
fn dormancy_boundary_is_strict() {
    let mut b = builder(&["ana"], &["p1", "p2", "p3"]);
    contact(&mut b, "a1", "ana", "p1", day(0));
    contact(&mut b, "a2", "ana", "p1", day(180));
    contact(&mut b, "b1", "ana", "p2", day(0));
    contact(&mut b, "b2", "ana", "p2", day(180) + Duration::seconds(1));
    contact(&mut b, "d1", "ana", "p3", day(0));
    contact(
        &mut b,
        "d2",
        "ana",
        "p3",
        day(180) + Duration::microseconds(1),
    );
    let l = b.build().unwrap();
    assert_eq!(
        class_of(&l, "a2"),
        FollowUp,
        "exactly 180 days is a follow-up"
    );
    assert_eq!(
        class_of(&l, "b2"),
        Reactivated,
        "180 days + 1 s reactivates"
    );
    assert_eq!(
        class_of(&l, "d2"),
        Reactivated,
        "180 days + 1 µs reactivates"
    );
}

#[test]
fn dormancy_is_configurable() {
    let mut b = builder(&["ana"], &["p1"]);
    contact(&mut b, "a1", "ana", "p1", day(0));
    contact(&mut b, "a2", "ana", "p1", day(31));
    let l = b.build().unwrap();
    let cfg = ClassifyConfig {
        dormancy: Duration::days(30),
        ..ClassifyConfig::default()
    };
    assert_eq!(classes(&l, &cfg)[1].1, Reactivated);
}

#[test]
fn ties_break_by_kind_rank_then_id() {
    let mut b = builder(&["ana"], &["p1", "p2"]);
    // Same instant: contact (rank 0) comes before the sale (rank 2), so the
    // contact is not a customer contact.
    contact(&mut b, "c1", "ana", "p1", day(5));
    sale(&mut b, "s1", "ana", "p1", day(5));
    // Same instant, two contacts: byte order of ids ("c10" < "c2") decides
    // which one is new.
    contact(&mut b, "c2", "ana", "p2", day(5));
    contact(&mut b, "c10", "ana", "p2", day(5));
    let l = b.build().unwrap();
    assert_eq!(class_of(&l, "c1"), New);
    assert_eq!(class_of(&l, "c10"), New);
    assert_eq!(class_of(&l, "c2"), FollowUp);
    let c = classify(&l, &ClassifyConfig::default());
    // The sale at the same instant is inside the engagement and wins it.
    let won: Vec<_> = c.engagements().filter(|g| g.won()).collect();
    assert_eq!(won.len(), 1);
}

#[test]
fn meeting_and_sale_before_any_contact() {
    let mut b = builder(&["ana"], &["p1", "p2"]);
    // A meeting before the first contact belongs to no engagement.
    meeting(&mut b, "m1", "ana", "p1", day(0));
    contact(&mut b, "c1", "ana", "p1", day(1));
    // A sale before the first contact: every contact is a customer contact,
    // and the prospect has no engagement at all.
    sale(&mut b, "s1", "ana", "p2", day(0));
    contact(&mut b, "c2", "ana", "p2", day(1));
    contact(&mut b, "c3", "ana", "p2", day(400));
    let l = b.build().unwrap();
    let c = classify(&l, &ClassifyConfig::default());
    assert_eq!(class_of(&l, "c1"), New);
    assert_eq!(class_of(&l, "c2"), Customer);
    assert_eq!(class_of(&l, "c3"), Customer);
    assert_eq!(c.engagements().len(), 1);
    let g = c.engagements().next().unwrap();
    assert!(!g.met(), "the earlier meeting is outside");
    assert_eq!(g.meetings_held(), 0);
    assert_eq!(g.first_meeting(), None);
}

#[test]
fn engagements_end_at_reactivation_or_first_sale() {
    let mut b = builder(&["ana", "bob"], &["p1"]);
    contact(&mut b, "c1", "ana", "p1", day(0));
    meeting(&mut b, "m1", "bob", "p1", day(5));
    contact(&mut b, "c2", "ana", "p1", day(200)); // reactivation: new engagement
    contact(&mut b, "c3", "ana", "p1", day(201));
    sale(&mut b, "s1", "bob", "p1", day(210)); // first sale: wins engagement 2
    sale(&mut b, "s2", "ana", "p1", day(220)); // after the first sale: none
    meeting(&mut b, "m2", "ana", "p1", day(221)); // after the first sale: none
    let l = b.build().unwrap();
    let c = classify(&l, &ClassifyConfig::default());
    let g: Vec<_> = c.engagements().collect();
    assert_eq!(g.len(), 2);
    assert_eq!(g[0].start_contact_id(), "c1");
    assert_eq!(g[0].end(), EngagementEnd::Lapsed);
    assert!(g[0].met(), "bob's meeting counts for ana's engagement");
    assert_eq!(g[0].contacts(), 1);
    assert_eq!(g[1].start_contact_id(), "c2");
    assert_eq!(g[1].end(), EngagementEnd::Won);
    assert_eq!(g[1].contacts(), 2);
    assert_eq!(g[1].won_sale_id(), Some("s1"));
    assert_eq!(g[1].won_at(), Some(day(210)));
    assert_eq!(g[1].cycle(), Some(Duration::days(10)));
    assert_eq!(
        c.engagement_of("c3").map(|e| e.start_contact_id()),
        Some("c2")
    );
    // Silence alone never ends an engagement: an open one stays open.
    let mut b = builder(&["ana"], &["p1"]);
    contact(&mut b, "c1", "ana", "p1", day(0));
    contact(&mut b, "c2", "ana", "p1", day(170));
    contact(&mut b, "c3", "ana", "p1", day(340));
    let l = b.build().unwrap();
    let c = classify(&l, &ClassifyConfig::default());
    assert_eq!(c.engagements().len(), 1);
    assert_eq!(
        c.engagements().next().map(|g| g.end()),
        Some(EngagementEnd::Open)
    );
}

#[test]
fn newness_is_organisation_wide_by_default_and_per_rep_on_request() {
    let mut b = builder(&["ana", "bob"], &["p1"]);
    contact(&mut b, "c1", "ana", "p1", day(0));
    contact(&mut b, "c2", "bob", "p1", day(1));
    contact(&mut b, "c3", "bob", "p1", day(2));
    let l = b.build().unwrap();
    assert_eq!(class_of(&l, "c2"), FollowUp);
    let per_rep = ClassifyConfig {
        newness: Newness::PerRep,
        ..ClassifyConfig::default()
    };
    let got = classes(&l, &per_rep);
    assert_eq!(got[1], ("c2".into(), New));
    assert_eq!(got[2], ("c3".into(), FollowUp));
    let c = classify(&l, &per_rep);
    assert_eq!(c.engagements().len(), 2);
}

#[test]
fn per_rep_dormancy_uses_the_reps_own_contacts() {
    let mut b = builder(&["ana", "bob"], &["p1"]);
    contact(&mut b, "c1", "ana", "p1", day(0));
    contact(&mut b, "c2", "bob", "p1", day(100));
    contact(&mut b, "c3", "ana", "p1", day(190));
    let l = b.build().unwrap();
    let per_rep = ClassifyConfig {
        newness: Newness::PerRep,
        ..ClassifyConfig::default()
    };
    assert_eq!(classes(&l, &per_rep)[2].1, Reactivated);
    assert_eq!(
        class_of(&l, "c3"),
        FollowUp,
        "organisation-wide: bob's contact counts"
    );
}

#[test]
fn classification_uses_prospects_not_records() {
    let mut b = builder(&["ana"], &["p1", "p1-dup"]);
    contact(&mut b, "c1", "ana", "p1", day(0));
    contact(&mut b, "c2", "ana", "p1-dup", day(1));
    b.partition(
        [("p1", "x"), ("p1-dup", "x")]
            .into_iter()
            .collect::<SuppliedPartition>(),
    );
    let l = b.build().unwrap();
    assert_eq!(l.prospect_count(), 1);
    assert_eq!(l.prospect_ids().next(), Some("p1"));
    assert_eq!(class_of(&l, "c2"), FollowUp);
}

#[test]
fn supplied_partition_names_clusters_by_smallest_accepted_id_and_warns() {
    let mut b = builder(&["ana"], &["p2", "p10", "p3"]);
    contact(&mut b, "c1", "ana", "p2", day(0));
    b.partition(
        [("p2", "g"), ("p10", "g"), ("ghost", "g"), ("p3", "h")]
            .into_iter()
            .collect::<SuppliedPartition>(),
    );
    let l = b.build().unwrap();
    assert_eq!(l.prospect_count(), 2);
    let ids: Vec<&str> = l.prospect_ids().collect();
    assert_eq!(ids[0], "p10", "byte order: p10 < p2");
    assert_eq!(ids[1], "p3");
    assert_eq!(l.warnings().len(), 1);
    assert!(l.warnings()[0].message.contains("ghost"));
}

mod history {
    //! `classify_history` (one prospect's events held by the caller)
    //! against the batch classifier over a ledger.

    use super::common::*;
    use chrono::Duration;
    use proptest::prelude::*;
    use sales_metrics::{
        ClassifyConfig, EventKind, HistoryEvent, MeetingStatus, Newness, classify, classify_history,
    };

    /// (kind 0..3, hours after day 0, rep 0..3, held) per event.
    fn events() -> impl Strategy<Value = Vec<(u8, i64, u8, bool)>> {
        prop::collection::vec((0u8..3, 0i64..24 * 500, 0u8..3, any::<bool>()), 0..14)
    }

    proptest! {
        #[test]
        fn history_agrees_with_the_batch_classifier(
            raw in events(),
            per_rep in any::<bool>(),
            rotate in 0usize..14,
        ) {
            let reps = ["r0", "r1", "r2"];
            let mut b = builder(&reps, &["p"]);
            let mut history = Vec::new();
            let ids: Vec<String> = (0..raw.len()).map(|i| format!("e{i:02}")).collect();
            for (i, &(kind, hours, rep, held)) in raw.iter().enumerate() {
                let (id, rep) = (ids[i].as_str(), reps[rep as usize]);
                // Several events share an hour: ties break on kind, then id.
                let at = day(0) + Duration::hours(hours / 7 * 7);
                let kind = match kind {
                    0 => { contact(&mut b, id, rep, "p", at); EventKind::Contact }
                    1 => {
                        let status = if held { MeetingStatus::Held } else { MeetingStatus::NoShow };
                        meeting_status(&mut b, id, rep, "p", at, status);
                        EventKind::Meeting
                    }
                    _ => { sale(&mut b, id, rep, "p", at); EventKind::Sale }
                };
                history.push(HistoryEvent { kind, at, id, rep_id: rep, held: held || kind != EventKind::Meeting });
            }
            // Any input order.
            let n = history.len().max(1);
            history.rotate_left(rotate % n);
            let ledger = b.build().unwrap();
            let newness = if per_rep { Newness::PerRep } else { Newness::Organisation };
            let config = ClassifyConfig { newness, ..ClassifyConfig::default() };
            let batch = classify(&ledger, &config);
            let got = classify_history(&history, &config);
            prop_assert_eq!(got.len(), history.len());
            let (history, got) = (&history, &got);
            let start_id = move |i: usize| got[i].engagement.map(|s| history[s].id);
            for (i, h) in history.iter().enumerate() {
                if h.kind == EventKind::Contact {
                    prop_assert_eq!(got[i].class, batch.class(h.id));
                    let c = batch.contacts().find(|c| c.contact_id == h.id).unwrap();
                    prop_assert_eq!(start_id(i), c.engagement);
                } else {
                    prop_assert_eq!(got[i].class, None);
                }
            }
            // Every batch engagement, rebuilt from the events' engagements.
            for g in batch.engagements() {
                let start = g.start_contact_id();
                let mine = |kind| (0..history.len())
                    .filter(move |&i| history[i].kind == kind && start_id(i) == Some(start));
                prop_assert_eq!(mine(EventKind::Contact).count() as u32, g.contacts());
                let held = mine(EventKind::Meeting).filter(|&i| history[i].held).count();
                prop_assert_eq!(held as u32, g.meetings_held());
                let won: Vec<&str> = mine(EventKind::Sale).map(|i| history[i].id).collect();
                prop_assert_eq!(won.first().copied(), g.won_sale_id());
                prop_assert!(won.len() <= 1);
            }
            let starts = (0..history.len()).filter(|&i| got[i].engagement == Some(i)).count();
            prop_assert_eq!(starts, batch.engagements().len());
        }
    }
}
