use super::*;

fn small(seed: u64) -> SimConfig {
    SimConfig {
        seed,
        reps: 6,
        months: 3,
        ..SimConfig::default()
    }
}

#[test]
fn same_seed_same_records() -> Result<()> {
    let a = simulate(&small(5))?;
    let b = simulate(&small(5))?;
    let c = simulate(&small(6))?;
    assert_eq!(a, b);
    assert_ne!(a.records.contacts, c.records.contacts);
    Ok(())
}

#[test]
fn records_are_valid_and_partition_complete() -> Result<()> {
    let sim = simulate(&small(9))?;
    let ledger = sim.ledger()?;
    assert!(ledger.rejections().is_empty());
    assert!(ledger.warnings().is_empty());
    assert_eq!(sim.truth.partition.len(), sim.records.prospects.len());
    // Cluster ids are the smallest member, and some records are duplicates.
    let dups = sim
        .truth
        .partition
        .iter()
        .filter(|(p, c)| p.as_str() != c.as_str())
        .count();
    assert!(dups > 0);
    for (p, c) in &sim.truth.partition {
        assert!(c.as_str() <= p.as_str());
    }
    Ok(())
}

#[test]
fn rejects_bad_configs() {
    let mut c = small(1);
    c.planted.push(Planted::new(99, Behaviour::Backdating, 0));
    assert!(simulate(&c).is_err());
    let c = SimConfig {
        reps: 0,
        ..SimConfig::default()
    };
    assert!(simulate(&c).is_err());
}

#[test]
fn behaviour_names_round_trip() -> Result<()> {
    for b in Behaviour::ALL {
        assert_eq!(b.as_str().parse::<Behaviour>()?, b);
    }
    Ok(())
}

#[test]
fn padding_grows_with_the_target() -> Result<()> {
    // What-if: the same padding rep under a higher target pads more.
    let padded = |target: u32| -> Result<usize> {
        let mut c = small(3);
        c.planted = vec![Planted::new(0, Behaviour::HollowContacts, 0)];
        c.rep_overrides = vec![RepOverride {
            rep: 0,
            daily_target: Some(target),
            contacts_per_day: Some(8.0),
        }];
        let sim = simulate(&c)?;
        Ok(sim
            .truth
            .gamed_records
            .iter()
            .filter(|(b, _, _)| *b == Behaviour::HollowContacts)
            .count())
    };
    assert!(padded(14)? > padded(6)? + 100);
    Ok(())
}

#[test]
fn worked_example_month() -> Result<()> {
    let mut c = small(4);
    c.worked_example = Some(WorkedExample { rep: 0, month: 2 });
    let sim = simulate(&c)?;
    let (lo, hi) = (sim.truth.month_starts[2], sim.truth.month_starts[3]);
    let r = &sim.records;
    let in_month = |t: DateTime<Utc>| t >= lo && t < hi;
    let contacts = r
        .contacts
        .iter()
        .filter(|x| x.rep_id.as_str() == "ana" && in_month(x.occurred_at))
        .count();
    let meetings: Vec<_> = r
        .meetings
        .iter()
        .filter(|x| x.rep_id.as_str() == "ana" && in_month(x.held_at))
        .collect();
    let sales = r
        .sales
        .iter()
        .filter(|x| x.rep_id.as_str() == "ana" && in_month(x.closed_at))
        .count();
    assert_eq!(contacts, 60);
    assert_eq!(meetings.len(), 15);
    assert!(
        meetings
            .iter()
            .all(|m| m.status == crate::MeetingStatus::Held)
    );
    assert_eq!(sales, 10);
    Ok(())
}
