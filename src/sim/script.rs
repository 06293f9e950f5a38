//! Scripted parts of a simulation: the CRM's older history (dormant
//! prospects and old customers) and SPEC §10's worked example.

use super::engine::{
    ContactDraft, MeetingDraft, SaleDraft, Stage, US_PER_DAY, US_PER_HOUR, US_PER_MIN, US_PER_S,
    World, honest_sale_amount,
};
use crate::model::{Channel, Direction, MeetingStatus, Outcome};

/// One older prospect of `rep`: reached once to three times on days drawn
/// from `days` and dormant since, or (`customer`) won back then and checked
/// on since.
pub(crate) fn legacy_prospect(world: &mut World<'_>, rep: u32, days: &[usize], customer: bool) {
    let pick = world.rep_rng(rep).index(days.len());
    let Some(&d0) = days.get(pick) else {
        return;
    };
    let Some(day) = world.day(d0).cloned() else {
        return;
    };
    let at = day.start_us + 7 * US_PER_HOUR + world.rep_rng(rep).range(0, 7 * 60) * US_PER_MIN;
    let (person, _) = world.fresh_prospect(rep, at);
    let touches = world.rep_rng(rep).range(1, 3) as u32;
    let mut d = d0;
    let mut t = at;
    for k in 0..touches {
        let rng = world.rep_rng(rep);
        let channel = World::pick_channel(rng);
        let last = k + 1 == touches;
        let outcome = match (customer, last) {
            (true, true) => Outcome::MeetingBooked,
            (false, true) => {
                if rng.chance(0.6) {
                    Outcome::NotInterested
                } else {
                    Outcome::NoAnswer
                }
            }
            _ => Outcome::Conversation,
        };
        let dur = if outcome == Outcome::NoAnswer {
            (channel == Channel::Phone).then(|| rng.range(3, 35))
        } else {
            World::talk_duration(rng, channel)
        };
        let _ = world.push_contact(
            rep,
            person,
            t,
            channel,
            Direction::Outbound,
            dur,
            Some(outcome),
            None,
        );
        let gap = world.rep_rng(rep).range(2, 6) as u32;
        d = world.working_after(d, gap);
        let Some(next) = world.day(d) else {
            break;
        };
        t = next.start_us + 7 * US_PER_HOUR + world.rep_rng(rep).range(0, 7 * 60) * US_PER_MIN;
    }
    if !customer {
        if let Some(p) = world.persons.get_mut(person as usize) {
            p.stage = Stage::Lost;
        }
        return;
    }
    let record = world
        .persons
        .get(person as usize)
        .map_or(u32::MAX, |p| p.active_record);
    let Some(mday) = world.day(d).cloned() else {
        return;
    };
    let held_us = mday.start_us + 9 * US_PER_HOUR;
    world.meetings.push(MeetingDraft {
        rep,
        record,
        held_us,
        status: MeetingStatus::Held,
    });
    let sd = world.working_after(d, 5);
    let Some(sday) = world.day(sd).cloned() else {
        return;
    };
    let (amount_minor, currency) = honest_sale_amount(world.rep_rng(rep));
    world.sales.push(SaleDraft {
        rep,
        record,
        closed_us: sday.start_us + 14 * US_PER_HOUR,
        amount_minor,
        currency,
    });
    // The first check-in falls somewhere in the warm-up months.
    let first_check = world
        .start_day
        .saturating_sub(world.rep_rng(rep).range(5, 40) as usize);
    let due = world.working_from(first_check.max(sd + 1));
    world.take_into_pipeline(rep, person, due);
    if let Some(p) = world.persons.get_mut(person as usize) {
        p.stage = Stage::Customer { due };
        p.customer = true;
    }
}

/// SPEC §10: 15 new prospects, 45 follow-ups, 15 held meetings, 10 sales.
const NEW: usize = 15;
const FOLLOW_UPS: usize = 45;
const MEETINGS: usize = 15;
const SALES: usize = 10;

/// Scripts rep `rep`'s month starting at day index `first`: SPEC §10's
/// worked example, and nothing else by that rep in that month.
pub(crate) fn worked_example(world: &mut World<'_>, rep: u32, first: usize) {
    let Some(month) = world.day(first).map(|d| d.month) else {
        return;
    };
    let month_start = world.day(first).map_or(0, |d| d.start_us);
    let work: Vec<usize> = world
        .days
        .iter()
        .enumerate()
        .skip(first)
        .take_while(|(_, d)| d.month == month)
        .filter(|(_, d)| d.working)
        .map(|(i, _)| i)
        .collect();
    let n_work = work.len();
    if n_work < 8 {
        return;
    }
    // Prospects the rep reached in the last five months and has not sold
    // to: their first contact this month is a follow-up.
    let mut old: Vec<(i64, u32)> = world
        .persons
        .iter()
        .enumerate()
        .filter(|(_, p)| {
            p.owner == rep
                && !p.customer
                && p.last_contact_us >= month_start - 150 * US_PER_DAY
                && p.last_contact_us < month_start
        })
        .map(|(i, p)| (-p.last_contact_us, i as u32))
        .collect();
    old.sort_unstable();
    let old: Vec<u32> = old.into_iter().take(NEW).map(|(_, i)| i).collect();

    // Fresh prospects, entered on the day of their first contact.
    let mut plan: Vec<Plan> = Vec::new();
    for _ in 0..NEW {
        // The person is created at its first contact, below.
        plan.push(Plan {
            person: u32::MAX,
            contacts: 2,
            new: true,
            meeting: false,
            sale: false,
        });
    }
    for &person in &old {
        plan.push(Plan {
            person,
            contacts: 0,
            new: false,
            meeting: false,
            sale: false,
        });
    }
    // The follow-ups not spent on the fresh prospects go to the old ones.
    let mut left = FOLLOW_UPS - NEW;
    let cycle: Vec<usize> = (NEW..plan.len()).chain(0..NEW).collect();
    let mut i = 0usize;
    while left > 0 && i < 10 * FOLLOW_UPS {
        // Round-robin over the old prospects first, at most 4 touches each.
        let pos = if old.is_empty() || i >= 4 * old.len() {
            cycle.get(i % cycle.len()).copied().unwrap_or(0)
        } else {
            NEW + i % old.len()
        };
        if let Some(p) = plan.get_mut(pos)
            && p.contacts < 4
        {
            p.contacts += 1;
            left -= 1;
        }
        i += 1;
    }
    // Meetings alternate between fresh and old prospects; sales go to the
    // first ten met.
    let mut order: Vec<usize> = Vec::new();
    for k in 0..plan.len() {
        let fresh = k / 2;
        let oldk = NEW + k / 2;
        let pick = if k % 2 == 0 || old.len() <= k / 2 {
            fresh
        } else {
            oldk
        };
        if pick < plan.len() && !order.contains(&pick) {
            order.push(pick);
        }
    }
    for k in 0..plan.len() {
        if !order.contains(&k) {
            order.push(k);
        }
    }
    for (n, &k) in order.iter().take(MEETINGS).enumerate() {
        if let Some(p) = plan.get_mut(k) {
            p.meeting = true;
            p.sale = n < SALES;
        }
    }

    // Lay each prospect out in time: touches two working days apart, the
    // meeting two days after the last touch, the sale two days later.
    let step = if n_work >= 20 { 2 } else { 1 };
    for p in &mut plan {
        let contacts = p.contacts.max(if p.new { 1 } else { 0 }) as usize;
        let tail = if p.meeting { 2 * step } else { 0 } + if p.sale { step } else { 0 };
        let span = (contacts.saturating_sub(1)) * step + tail;
        let latest = n_work.saturating_sub(1).saturating_sub(span);
        let start = world.rep_rng(rep).range(0, latest as i64) as usize;
        let mut w = start;
        let mut last_day = start;
        for c in 0..contacts {
            let Some(&d) = work.get(w) else { break };
            let day_us = world.day(d).map_or(month_start, |x| x.start_us);
            let rng = world.rep_rng(rep);
            let at = day_us + 6 * US_PER_HOUR + rng.range(0, 8 * 3600) * US_PER_S;
            let channel = if c == 0 && p.new {
                Channel::Phone
            } else {
                World::pick_channel(rng)
            };
            let last = c + 1 == contacts;
            let outcome = if last && p.meeting {
                Outcome::MeetingBooked
            } else if rng.chance(0.25) {
                Outcome::NoAnswer
            } else {
                Outcome::Conversation
            };
            let duration = if outcome == Outcome::NoAnswer {
                Some(rng.range(5, 30))
            } else {
                World::talk_duration(rng, channel)
            };
            let logged = at + duration.unwrap_or(0) * US_PER_S + rng.range(60, 1_200) * US_PER_S;
            if c == 0 && p.new {
                let (person, _) = world.fresh_prospect(rep, at);
                world.take_into_pipeline(rep, person, d);
                p.person = person;
            }
            let record = world
                .persons
                .get(p.person as usize)
                .map_or(u32::MAX, |x| x.active_record);
            world.contacts.push(ContactDraft {
                rep,
                record,
                occurred_us: at,
                logged_us: Some(logged),
                channel,
                direction: Direction::Outbound,
                duration_s: duration,
                outcome: Some(outcome),
                gamed: None,
            });
            if let Some(x) = world.persons.get_mut(p.person as usize) {
                x.last_contact_us = x.last_contact_us.max(at);
                x.touches += 1;
            }
            last_day = w;
            w += step;
        }
        let record = world
            .persons
            .get(p.person as usize)
            .map_or(u32::MAX, |x| x.active_record);
        let mut next_stage = Stage::Prospecting {
            due: world.working_after(work.last().copied().unwrap_or(first), 3),
        };
        if p.meeting {
            let md = last_day + 2 * step;
            if let Some(&d) = work.get(md) {
                let held_us = world.day(d).map_or(month_start, |x| x.start_us)
                    + 7 * US_PER_HOUR
                    + world.rep_rng(rep).range(0, 5 * 60) * US_PER_MIN;
                world.meetings.push(MeetingDraft {
                    rep,
                    record,
                    held_us,
                    status: MeetingStatus::Held,
                });
            }
            if p.sale
                && let Some(&d) = work.get(md + step)
            {
                let closed_us = world.day(d).map_or(month_start, |x| x.start_us)
                    + 13 * US_PER_HOUR
                    + world.rep_rng(rep).range(0, 150) * US_PER_MIN;
                let (amount_minor, currency) = honest_sale_amount(world.rep_rng(rep));
                world.sales.push(SaleDraft {
                    rep,
                    record,
                    closed_us,
                    amount_minor,
                    currency,
                });
                let due = world.working_after(d, 25);
                next_stage = Stage::Customer { due };
                if let Some(x) = world.persons.get_mut(p.person as usize) {
                    x.customer = true;
                }
            } else if !p.sale {
                next_stage = Stage::Lost;
            }
        }
        if let Some(x) = world.persons.get_mut(p.person as usize) {
            x.stage = next_stage;
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Plan {
    person: u32,
    /// Contacts this month (for a fresh prospect, the first one included).
    contacts: u32,
    new: bool,
    meeting: bool,
    sale: bool,
}
