//! Unit tests of the ledger that need its internals.

use super::identity::{clusters_from_labels, prospects_of_any, prospects_of_rooted};
use super::*;
use crate::model::{Channel, Direction};
use crate::union_find::UnionFind;
use chrono::{DateTime, TimeZone, Utc};
use proptest::prelude::*;

proptest! {
    #[test]
    fn clusters_from_roots_agree_with_clusters_from_any_labels(
        n in 0usize..300,
        joins in proptest::collection::vec((0u32..300, 0u32..300), 0..200),
        relabel in 0u32..1000,
    ) {
        // Union–find roots (each cluster's smallest record): the fast
        // numbering applies and agrees with the general one.
        let mut uf = UnionFind::new(n);
        for &(a, b) in &joins {
            if (a as usize) < n && (b as usize) < n {
                uf.union(a, b);
            }
        }
        let roots: Vec<u32> = (0..n as u32).map(|i| uf.find(i)).collect();
        let fast = prospects_of_rooted(&roots);
        let any = prospects_of_any(&roots);
        prop_assert_eq!(fast.as_ref(), Some(&any));
        // Other labels for the same clusters: no fast path, same result.
        let other: Vec<u32> = roots.iter().map(|&r| r * 7 + relabel + 1).collect();
        if n > 0 {
            prop_assert_eq!(prospects_of_rooted(&other), None);
        }
        let (prospects, offsets, members) = clusters_from_labels(&other);
        prop_assert_eq!(Some(&prospects), fast.as_ref());
        // Members grouped by prospect, in record order; counts add up.
        prop_assert_eq!(offsets.last().copied().unwrap_or(0) as usize, n);
        for p in 0..offsets.len().saturating_sub(1) {
            let m = &members[offsets[p] as usize..offsets[p + 1] as usize];
            prop_assert!(!m.is_empty());
            prop_assert!(m.windows(2).all(|w| w[0] < w[1]));
            prop_assert!(m.iter().all(|&r| prospects[r as usize] == p as u32));
        }
    }
}

/// Defect 8, times: `logged_at` and `created_at` of `i64::MIN` µs (the
/// readers' field path takes any i64) and `logged_at` at chrono's earliest instant
/// are values, never "absent": an impossible `logged_at` is rejected, a
/// `created_at` kept (or rejected), none silently dropped.
#[test]
fn min_i64_times_are_values_not_absent() {
    let occurred_us = Utc
        .with_ymd_and_hms(2026, 6, 1, 9, 0, 0)
        .unwrap()
        .timestamp_micros();
    let contact = |id: &'static str, logged_us: Option<i64>| ContactFields {
        contact_id: id,
        rep_id: "ana",
        prospect_id: "p1",
        occurred_us,
        logged_us,
        channel: Channel::Phone,
        direction: Direction::Outbound,
        duration_s: None,
        outcome: None,
    };
    let mut b = LedgerBuilder::new();
    b.mode(Mode::Lenient);
    b.add_rep(Rep::new("ana"));
    RecordSink::push_prospect(
        &mut b,
        1,
        &ProspectFields {
            prospect_id: "p1",
            created_us: Some(i64::MIN),
            ..ProspectFields::default()
        },
    );
    RecordSink::push_contact(&mut b, 1, &contact("c1", Some(i64::MIN)));
    RecordSink::push_contact(&mut b, 2, &contact("c2", None));
    let mut c3 = Contact::new(
        "c3",
        "ana",
        "p1",
        Utc.with_ymd_and_hms(2026, 6, 1, 9, 0, 0).unwrap(),
        Channel::Email,
    );
    c3.logged_at = Some(DateTime::<Utc>::MIN_UTC);
    b.add_contact(c3);
    let l = b.build().unwrap();
    let rejected: Vec<(&str, &str)> = l
        .rejections()
        .iter()
        .map(|r| (r.id.as_str(), r.field.as_str()))
        .collect();
    assert!(rejected.contains(&("c1", "logged_at")), "{rejected:?}");
    assert!(rejected.contains(&("c3", "logged_at")), "{rejected:?}");
    // c2 gave no logged_at: absent, and loaded.
    assert_eq!(l.contacts().len(), 1);
    assert_eq!(l.contacts()[0].logged_us(), None);
    // created_at of i64::MIN µs: kept as given unless refused outright.
    if !rejected.contains(&("p1", "created_at")) {
        assert_eq!(l.records().created_us(0), Some(i64::MIN));
    }
}
