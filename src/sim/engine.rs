//! The day-by-day world: every working day each rep works through the
//! prospects that are due, books and holds meetings, closes sales, starts
//! new engagements, and — when planted — games the count the way a person
//! under that target would.

use chrono::{Datelike, Months, NaiveDate, Weekday};

use super::names::{Company, Identity, RecordText, canonical_text, variant_text};
use super::{Behaviour, SimConfig};
use crate::model::{Channel, Direction, MeetingStatus, Outcome, Source};
use crate::rng::Rng;

pub(crate) const US_PER_S: i64 = 1_000_000;
pub(crate) const US_PER_MIN: i64 = 60 * US_PER_S;
pub(crate) const US_PER_HOUR: i64 = 60 * US_PER_MIN;
pub(crate) const US_PER_DAY: i64 = 24 * US_PER_HOUR;
const NO_TIME: i64 = i64::MIN;
const NOBODY: u32 = u32::MAX;

/// Fixed-date public holidays of Romania (month, day). Movable feasts
/// (Easter, Pentecost) are left out: a few missing holidays do not change
/// any pattern the simulator is for.
const HOLIDAYS: &[(u32, u32)] = &[
    (1, 1),
    (1, 2),
    (1, 24),
    (5, 1),
    (6, 1),
    (8, 15),
    (11, 30),
    (12, 1),
    (12, 25),
    (12, 26),
];

/// One calendar day of the simulated span.
#[derive(Debug, Clone)]
pub(crate) struct Day {
    pub(crate) date: NaiveDate,
    pub(crate) start_us: i64,
    pub(crate) working: bool,
    /// Months since the configured start (negative in the warm-up history).
    pub(crate) month: i32,
    /// Working days left in this calendar month, this one included.
    pub(crate) left_in_month: u32,
    /// Working days left in this quarter, this one included.
    pub(crate) left_in_quarter: u32,
}

fn day_start_us(date: NaiveDate) -> i64 {
    date.and_hms_opt(0, 0, 0)
        .map_or(0, |t| t.and_utc().timestamp_micros())
}

pub(crate) fn calendar(first: NaiveDate, end: NaiveDate, start: NaiveDate) -> Vec<Day> {
    let mut days = Vec::new();
    let mut d = first;
    while d < end {
        let weekend = matches!(d.weekday(), Weekday::Sat | Weekday::Sun);
        let holiday = HOLIDAYS.contains(&(d.month(), d.day()));
        let month = (d.year() - start.year()) * 12 + d.month() as i32 - start.month() as i32;
        days.push(Day {
            date: d,
            start_us: day_start_us(d),
            working: !weekend && !holiday,
            month,
            left_in_month: 0,
            left_in_quarter: 0,
        });
        match d.succ_opt() {
            Some(n) => d = n,
            None => break,
        }
    }
    let (mut left_m, mut left_q) = (0u32, 0u32);
    let mut next_month: Option<(i32, u32)> = None;
    let mut next_quarter: Option<(i32, u32)> = None;
    for day in days.iter_mut().rev() {
        let m = (day.date.year(), day.date.month());
        let q = (day.date.year(), (day.date.month() - 1) / 3);
        if next_month != Some(m) {
            left_m = 0;
            next_month = Some(m);
        }
        if next_quarter != Some(q) {
            left_q = 0;
            next_quarter = Some(q);
        }
        if day.working {
            left_m += 1;
            left_q += 1;
        }
        day.left_in_month = left_m;
        day.left_in_quarter = left_q;
    }
    days
}

/// Where a prospect stands with its owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stage {
    /// Known, nobody working on it.
    Idle,
    /// Being contacted; next touch due on day `due`.
    Prospecting { due: usize },
    /// A meeting is booked for day `day`.
    MeetingSet { day: usize },
    /// After a held meeting: `left` more touches, then a sale or a loss.
    Closing { due: usize, left: u32, buy: bool },
    /// The contract is signed on day `day`.
    SaleDue { day: usize },
    /// A customer; next check-in due on day `due`.
    Customer { due: usize },
    /// Declined or went silent.
    Lost,
}

#[derive(Debug, Clone)]
pub(crate) struct Person {
    pub(crate) ident: Identity,
    pub(crate) interest: f64,
    pub(crate) records: Vec<u32>,
    /// The record the owner works with (the one they created, if any).
    pub(crate) active_record: u32,
    pub(crate) owner: u32,
    pub(crate) stage: Stage,
    pub(crate) touches: u32,
    pub(crate) last_contact_us: i64,
    pub(crate) customer: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct RecordDraft {
    pub(crate) person: u32,
    pub(crate) text: RecordText,
    pub(crate) source: Option<Source>,
    pub(crate) created_us: Option<i64>,
    pub(crate) created_by: Option<u32>,
    /// When the record came to be (even when `created_us` is left empty):
    /// ids follow it, as a CRM's sequence would.
    pub(crate) order_us: i64,
    /// Order of creation, the tie-break for ids.
    pub(crate) seq: u32,
}

#[derive(Debug, Clone)]
pub(crate) struct ContactDraft {
    pub(crate) rep: u32,
    pub(crate) record: u32,
    pub(crate) occurred_us: i64,
    pub(crate) logged_us: Option<i64>,
    pub(crate) channel: Channel,
    pub(crate) direction: Direction,
    pub(crate) duration_s: Option<i64>,
    pub(crate) outcome: Option<Outcome>,
    pub(crate) gamed: Option<Behaviour>,
}

#[derive(Debug, Clone)]
pub(crate) struct MeetingDraft {
    pub(crate) rep: u32,
    pub(crate) record: u32,
    pub(crate) held_us: i64,
    pub(crate) status: MeetingStatus,
}

#[derive(Debug, Clone)]
pub(crate) struct SaleDraft {
    pub(crate) rep: u32,
    pub(crate) record: u32,
    pub(crate) closed_us: i64,
    pub(crate) amount_minor: Option<i64>,
    pub(crate) currency: Option<&'static str>,
}

#[derive(Debug, Clone)]
pub(crate) struct RepState {
    pub(crate) id: String,
    pub(crate) team: usize,
    pub(crate) target: u32,
    /// Honest contacts per working day this rep manages on average.
    pub(crate) capacity: f64,
    /// How well the rep converts meetings into sales.
    pub(crate) skill: f64,
    pub(crate) rng: Rng,
    pub(crate) pipeline: Vec<u32>,
    pub(crate) absent: Vec<bool>,
    /// Work put off to the next day (quota bunching).
    pub(crate) carry: u32,
    /// Contacts waiting to be logged in a batch (backdating): draft index.
    pub(crate) backlog: Vec<usize>,
    pub(crate) backlog_since: Option<usize>,
    pub(crate) behaviours: Vec<(Behaviour, i32, f64)>,
    /// The month whose events are scripted (the worked example), if any.
    pub(crate) scripted_month: Option<i32>,
}

impl RepState {
    /// The intensity of `b` in month `month`, if the rep games that way then.
    pub(crate) fn gaming(&self, b: Behaviour, month: i32) -> Option<f64> {
        self.behaviours
            .iter()
            .find(|(x, from, _)| *x == b && month >= *from)
            .map(|(_, _, i)| *i)
    }
}

/// Why a padding contact is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Purpose {
    /// A padded follow-up that moves nothing ("just checking in").
    Pad,
    /// A hollow entry: no duration worth the name, no outcome.
    Hollow,
    /// An extra touch split off one conversation.
    Repeat,
    /// Invented when logging late, to fill a short day.
    Fabricated,
}

/// The rep's random stream, borrowing only the fields it needs so that the
/// rest of the world stays readable.
macro_rules! rep_rng {
    ($world:expr, $rep:expr) => {
        match $world.reps.get_mut($rep as usize) {
            Some(r) => &mut r.rng,
            None => &mut $world.rng,
        }
    };
}

pub(crate) struct World<'c> {
    pub(crate) cfg: &'c SimConfig,
    pub(crate) days: Vec<Day>,
    pub(crate) companies: Vec<Company>,
    pub(crate) persons: Vec<Person>,
    pub(crate) records: Vec<RecordDraft>,
    pub(crate) contacts: Vec<ContactDraft>,
    pub(crate) meetings: Vec<MeetingDraft>,
    pub(crate) sales: Vec<SaleDraft>,
    pub(crate) reps: Vec<RepState>,
    pub(crate) rng: Rng,
    /// Gamed prospect records (duplicate inflation): record index.
    pub(crate) gamed_records: Vec<(Behaviour, u32)>,
    /// Index of the first day of the configured start.
    pub(crate) start_day: usize,
}

impl<'c> World<'c> {
    pub(crate) fn new(cfg: &'c SimConfig) -> Self {
        let start = cfg.start.with_day(1).unwrap_or(cfg.start);
        let first = start
            .checked_sub_months(Months::new(cfg.history_months.max(3) + 7))
            .unwrap_or(start);
        let end = start
            .checked_add_months(Months::new(cfg.months))
            .unwrap_or(start);
        let days = calendar(first, end, start);
        let start_day = days.iter().position(|d| d.date >= start).unwrap_or(0);
        let mut rng = Rng::new(cfg.seed, u64::MAX);
        let n_companies = (cfg.reps * 60).max(50);
        let companies = (0..n_companies)
            .map(|i| Company::random(&mut rng, i))
            .collect();
        World {
            cfg,
            days,
            companies,
            persons: Vec::new(),
            records: Vec::new(),
            contacts: Vec::new(),
            meetings: Vec::new(),
            sales: Vec::new(),
            reps: Vec::new(),
            rng,
            gamed_records: Vec::new(),
            start_day,
        }
    }

    pub(crate) fn day(&self, d: usize) -> Option<&Day> {
        self.days.get(d)
    }

    fn day_us(&self, d: usize) -> i64 {
        self.days.get(d).map_or(0, |x| x.start_us)
    }

    /// The first working day at or after `d` (or the last day).
    pub(crate) fn working_from(&self, d: usize) -> usize {
        let mut i = d;
        while let Some(day) = self.days.get(i) {
            if day.working {
                return i;
            }
            i += 1;
        }
        i
    }

    /// `n` working days after `d`.
    pub(crate) fn working_after(&self, d: usize, n: u32) -> usize {
        let mut i = d;
        let mut left = n;
        while left > 0 {
            i += 1;
            match self.days.get(i) {
                Some(day) if day.working => left -= 1,
                Some(_) => {}
                None => return i,
            }
        }
        i
    }

    // ----- people and records -------------------------------------------

    fn new_person(&mut self, rep: u32) -> u32 {
        let rng = rep_rng!(self, rep);
        let company = rng.index(self.companies.len());
        let ident = Identity::random(rng, company, &self.companies);
        let u = rng.f64();
        let interest = 0.05 + 0.75 * u * u;
        self.persons.push(Person {
            ident,
            interest,
            records: Vec::new(),
            active_record: NOBODY,
            owner: rep,
            stage: Stage::Idle,
            touches: 0,
            last_contact_us: NO_TIME,
            customer: false,
        });
        (self.persons.len() - 1) as u32
    }

    fn add_record(
        &mut self,
        person: u32,
        rep: u32,
        variant: bool,
        source: Source,
        created_us: i64,
        created_by: Option<u32>,
    ) -> u32 {
        let companies = &self.companies;
        let Some(p) = self.persons.get(person as usize) else {
            return NOBODY;
        };
        let ident = p.ident.clone();
        let rng = match self.reps.get_mut(rep as usize) {
            Some(r) => &mut r.rng,
            None => &mut self.rng,
        };
        let text = if variant {
            variant_text(&ident, companies, rng)
        } else {
            canonical_text(&ident, companies, rng)
        };
        let created = (!rng.chance(0.02)).then_some(created_us);
        let seq = self.records.len() as u32;
        self.records.push(RecordDraft {
            person,
            text,
            source: Some(source),
            created_us: created,
            created_by,
            order_us: created_us,
            seq,
        });
        if let Some(p) = self.persons.get_mut(person as usize) {
            p.records.push(seq);
            p.active_record = seq;
        }
        seq
    }

    pub(crate) fn rep_rng(&mut self, rep: u32) -> &mut Rng {
        match self.reps.get_mut(rep as usize) {
            Some(r) => &mut r.rng,
            None => &mut self.rng,
        }
    }

    /// A brand-new person entering the CRM through rep `rep` at `at_us`.
    pub(crate) fn fresh_prospect(&mut self, rep: u32, at_us: i64) -> (u32, Source) {
        let person = self.new_person(rep);
        let rng = self.rep_rng(rep);
        let source = match rng.weighted(&[0.4, 0.2, 0.15, 0.15, 0.1]) {
            0 => Source::ColdList,
            1 => Source::Inbound,
            2 => Source::Referral,
            3 => Source::Event,
            _ => Source::Other,
        };
        // Cold lists are imported ahead of the call; web forms create
        // records by themselves; the rest are typed in by the rep.
        let (created_us, by) = match source {
            Source::ColdList => {
                let lead = rng.range(1, 30) * US_PER_DAY;
                (at_us - lead, rng.chance(0.6).then_some(rep))
            }
            Source::Inbound => (at_us - rng.range(5, 240) * US_PER_MIN, None),
            _ => (at_us - rng.range(1, 20) * US_PER_MIN, Some(rep)),
        };
        let import_twice = source == Source::ColdList && rng.chance(0.03);
        let _ = self.add_record(person, rep, false, source, created_us, by);
        if import_twice {
            // A list imported twice: a second, never-contacted record.
            let active = self
                .persons
                .get(person as usize)
                .map_or(NOBODY, |p| p.active_record);
            let _ = self.add_record(person, rep, true, source, created_us, None);
            if let Some(p) = self.persons.get_mut(person as usize) {
                p.active_record = active;
            }
        }
        (person, source)
    }

    /// A person already known to the CRM, entered again as a new record by
    /// rep `rep` (honestly, because nobody searched first, or to count it as
    /// new). Returns `None` when nobody suitable is known.
    fn reentry(&mut self, rep: u32, at_us: i64, gaming: bool) -> Option<u32> {
        let min_gap = if gaming { 14 } else { 60 } * US_PER_DAY;
        let n = self.persons.len();
        if n == 0 {
            return None;
        }
        let scripted: Vec<bool> = self
            .reps
            .iter()
            .map(|r| r.scripted_month.is_some())
            .collect();
        let rng = rep_rng!(self, rep);
        // A handful of random probes keeps this O(1) per call.
        for _ in 0..40 {
            let i = rng.index(n);
            let Some(p) = self.persons.get(i) else {
                continue;
            };
            let owner_scripted = scripted.get(p.owner as usize).copied().unwrap_or(false);
            let idle = matches!(p.stage, Stage::Idle | Stage::Lost);
            if !p.customer
                && !owner_scripted
                && idle
                && p.last_contact_us != NO_TIME
                && p.last_contact_us < at_us - min_gap
            {
                return Some(i as u32);
            }
        }
        None
    }

    // ----- events --------------------------------------------------------

    fn honest_log_delay_us(rng: &mut Rng, occurred_us: i64, duration_s: Option<i64>) -> i64 {
        let end = occurred_us + duration_s.unwrap_or(0) * US_PER_S;
        let r = rng.f64();
        if r < 0.85 {
            end + (rng.lognormal(6.0, 0.8) * US_PER_MIN as f64) as i64
        } else if r < 0.97 {
            // Typed in at the end of the day.
            end + rng.range(2, 7) * US_PER_HOUR + rng.range(0, 3_599) * US_PER_S
        } else {
            // Next morning.
            end + rng.range(16, 20) * US_PER_HOUR + rng.range(0, 3_599) * US_PER_S
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn push_contact(
        &mut self,
        rep: u32,
        person: u32,
        at_us: i64,
        channel: Channel,
        direction: Direction,
        duration_s: Option<i64>,
        outcome: Option<Outcome>,
        gamed: Option<Behaviour>,
    ) -> usize {
        let record = self
            .persons
            .get(person as usize)
            .map_or(NOBODY, |p| p.active_record);
        let rng = self.rep_rng(rep);
        // CRMs stamp entries to the second.
        let logged = Self::honest_log_delay_us(rng, at_us, duration_s);
        let logged = logged - logged.rem_euclid(US_PER_S);
        self.contacts.push(ContactDraft {
            rep,
            record,
            occurred_us: at_us,
            logged_us: Some(logged),
            channel,
            direction,
            duration_s,
            outcome,
            gamed,
        });
        if let Some(p) = self.persons.get_mut(person as usize) {
            p.last_contact_us = p.last_contact_us.max(at_us);
        }
        self.contacts.len() - 1
    }

    pub(crate) fn pick_channel(rng: &mut Rng) -> Channel {
        match rng.weighted(&[0.55, 0.2, 0.1, 0.1, 0.05]) {
            0 => Channel::Phone,
            1 => Channel::Email,
            2 => Channel::Internet,
            3 => Channel::InPerson,
            _ => Channel::Other,
        }
    }

    /// Duration of a contact that reached someone.
    pub(crate) fn talk_duration(rng: &mut Rng, channel: Channel) -> Option<i64> {
        match channel {
            Channel::Phone => Some(rng.lognormal(240.0, 0.6).round() as i64 + 20),
            Channel::InPerson => Some(rng.lognormal(1800.0, 0.4).round() as i64),
            Channel::Email => rng
                .chance(0.6)
                .then(|| rng.lognormal(300.0, 0.5).round() as i64),
            Channel::Internet => rng
                .chance(0.5)
                .then(|| rng.lognormal(180.0, 0.6).round() as i64),
            Channel::Other => rng
                .chance(0.5)
                .then(|| rng.lognormal(200.0, 0.6).round() as i64),
        }
    }

    /// One honest touch of `person` that moves its engagement on.
    fn progress_contact(&mut self, rep: u32, person: u32, d: usize, at_us: i64, first: bool) {
        let (interest, touches, stage, source_inbound) = match self.persons.get(person as usize) {
            Some(p) => (
                p.interest,
                p.touches,
                p.stage,
                first
                    && p.records
                        .last()
                        .and_then(|&r| self.records.get(r as usize))
                        .is_some_and(|r| r.source == Some(Source::Inbound)),
            ),
            None => return,
        };
        let rng = self.rep_rng(rep);
        let mut channel = Self::pick_channel(rng);
        let direction = if source_inbound || rng.chance(0.05) {
            if channel == Channel::Phone && source_inbound && rng.chance(0.5) {
                channel = Channel::Internet;
            }
            Direction::Inbound
        } else {
            Direction::Outbound
        };
        let answered = channel == Channel::InPerson
            || direction == Direction::Inbound
            || rng.chance(if channel == Channel::Phone { 0.65 } else { 0.5 });
        let forgot_outcome = rng.chance(0.03);
        let (outcome, duration, next): (Outcome, Option<i64>, Stage) = match stage {
            Stage::Closing { left, buy, .. } => {
                let dur = Self::talk_duration(rng, channel);
                if left <= 1 {
                    if buy {
                        let gap = rng.range(1, 3) as u32;
                        (
                            Outcome::Conversation,
                            dur,
                            Stage::SaleDue { day: gap as usize },
                        )
                    } else {
                        (Outcome::NotInterested, dur, Stage::Lost)
                    }
                } else {
                    let gap = rng.range(2, 5) as usize;
                    (
                        Outcome::Conversation,
                        dur,
                        Stage::Closing {
                            due: gap,
                            left: left - 1,
                            buy,
                        },
                    )
                }
            }
            Stage::Customer { .. } => {
                let dur = Self::talk_duration(rng, channel);
                let gap = rng.range(20, 50) as usize;
                (Outcome::Conversation, dur, Stage::Customer { due: gap })
            }
            _ => {
                if !answered {
                    let dur = match channel {
                        Channel::Phone => Some(rng.range(3, 35)),
                        _ => None,
                    };
                    let gap = rng.range(1, 4) as usize;
                    let next = if touches + 1 >= 7 {
                        Stage::Lost
                    } else {
                        Stage::Prospecting { due: gap }
                    };
                    let outcome = if channel == Channel::Phone || rng.chance(0.5) {
                        Outcome::NoAnswer
                    } else {
                        Outcome::Other
                    };
                    (outcome, dur, next)
                } else {
                    let dur = Self::talk_duration(rng, channel);
                    let p_meet = interest * (0.3 + 0.08 * f64::from(touches)).min(0.8);
                    let p_no = (1.0 - interest) * 0.25;
                    let r = rng.f64();
                    if r < p_meet {
                        let lead = rng.range(2, 8) as usize;
                        (Outcome::MeetingBooked, dur, Stage::MeetingSet { day: lead })
                    } else if r < p_meet + p_no || touches + 1 >= 7 {
                        (Outcome::NotInterested, dur, Stage::Lost)
                    } else {
                        let gap = rng.lognormal(5.0, 0.5).round().max(1.0) as usize;
                        (Outcome::Conversation, dur, Stage::Prospecting { due: gap })
                    }
                }
            }
        };
        let outcome = (!forgot_outcome).then_some(outcome);
        let retry_same_day = outcome == Some(Outcome::NoAnswer) && rng.chance(0.1);
        let retry_gap = rng.range(30, 180) * US_PER_MIN;
        let _ = self.push_contact(
            rep, person, at_us, channel, direction, duration, outcome, None,
        );
        if retry_same_day {
            // An honest call-back a little later the same day.
            let rng = self.rep_rng(rep);
            let dur = Self::talk_duration(rng, Channel::Phone);
            let _ = self.push_contact(
                rep,
                person,
                at_us + retry_gap,
                Channel::Phone,
                Direction::Outbound,
                dur,
                Some(Outcome::Conversation),
                None,
            );
        }
        // Relative gaps become absolute days.
        let next = match next {
            Stage::Prospecting { due } => Stage::Prospecting {
                due: self.working_from(d + due),
            },
            Stage::MeetingSet { day } => Stage::MeetingSet {
                day: self.working_after(d, day as u32),
            },
            Stage::Closing { due, left, buy } => Stage::Closing {
                due: self.working_from(d + due),
                left,
                buy,
            },
            Stage::SaleDue { day } => Stage::SaleDue {
                day: self.working_after(d, day as u32),
            },
            Stage::Customer { due } => Stage::Customer {
                due: self.working_from(d + due),
            },
            other => other,
        };
        if let Some(p) = self.persons.get_mut(person as usize) {
            p.stage = next;
            if !matches!(next, Stage::Customer { .. }) {
                p.touches += 1;
            }
        }
    }

    /// A contact that pads the count: the prospect's stage does not move.
    fn pad_contact(&mut self, rep: u32, person: u32, at_us: i64, purpose: Purpose) -> usize {
        let rng = self.rep_rng(rep);
        let (channel, duration, outcome, gamed) = match purpose {
            Purpose::Hollow => {
                let channel = if rng.chance(0.8) {
                    Channel::Phone
                } else {
                    Self::pick_channel(rng)
                };
                let duration = match rng.index(3) {
                    0 => None,
                    1 => Some(0),
                    _ => Some(rng.range(1, 12)),
                };
                (channel, duration, None, Some(Behaviour::HollowContacts))
            }
            Purpose::Repeat => {
                let channel = if rng.chance(0.6) {
                    Channel::Phone
                } else {
                    Channel::Email
                };
                let dur = Self::talk_duration(rng, channel).map(|s| s / 2 + 10);
                let outcome = if rng.chance(0.7) {
                    Outcome::Conversation
                } else {
                    Outcome::Other
                };
                (channel, dur, Some(outcome), Some(Behaviour::RepeatTouch))
            }
            Purpose::Fabricated => {
                let channel = Self::pick_channel(rng);
                let dur = Self::talk_duration(rng, channel);
                (
                    channel,
                    dur,
                    Some(Outcome::Conversation),
                    Some(Behaviour::Backdating),
                )
            }
            Purpose::Pad => {
                let channel = if rng.chance(0.7) {
                    Channel::Phone
                } else {
                    Self::pick_channel(rng)
                };
                let (outcome, dur) = match rng.weighted(&[0.55, 0.3, 0.15]) {
                    0 => (
                        Outcome::Conversation,
                        Some(rng.lognormal(120.0, 0.5).round() as i64 + 20),
                    ),
                    1 => (Outcome::NoAnswer, Some(rng.range(3, 30))),
                    _ => (Outcome::Other, Self::talk_duration(rng, channel)),
                };
                (
                    channel,
                    dur,
                    Some(outcome),
                    Some(Behaviour::FollowUpPadding),
                )
            }
        };
        self.push_contact(
            rep,
            person,
            at_us,
            channel,
            Direction::Outbound,
            duration,
            outcome,
            gamed,
        )
    }

    // ----- the day loop --------------------------------------------------

    fn times_of_day(rng: &mut Rng, day_us: i64, n: usize) -> Vec<i64> {
        // Office hours 06:00–15:00 UTC (09:00–18:00 in Bucharest).
        let mut ts: Vec<i64> = (0..n)
            .map(|_| day_us + 6 * US_PER_HOUR + rng.range(0, 9 * 3600 - 1) * US_PER_S)
            .collect();
        ts.sort_unstable();
        ts
    }

    fn hold_meetings(&mut self, rep: u32, d: usize, month: i32) {
        let day_us = self.day_us(d);
        let pipeline = self
            .reps
            .get(rep as usize)
            .map(|r| r.pipeline.clone())
            .unwrap_or_default();
        let absent = self
            .reps
            .get(rep as usize)
            .and_then(|r| r.absent.get(d).copied())
            .unwrap_or(false);
        let (skill, under) = match self.reps.get(rep as usize) {
            Some(r) => (r.skill, r.gaming(Behaviour::MeetingUnderreporting, month)),
            None => return,
        };
        for person in pipeline {
            let Some(p) = self.persons.get(person as usize) else {
                continue;
            };
            let due = matches!(p.stage, Stage::MeetingSet { day } if day <= d);
            if p.owner != rep || !due {
                continue;
            }
            let (interest, record) = (p.interest, p.active_record);
            let rng = self.rep_rng(rep);
            let status = if absent {
                MeetingStatus::Cancelled
            } else {
                match rng.weighted(&[0.82, 0.1, 0.08]) {
                    0 => MeetingStatus::Held,
                    1 => MeetingStatus::NoShow,
                    _ => MeetingStatus::Cancelled,
                }
            };
            let held_us = day_us + rng.range(7 * 60, 14 * 60) * US_PER_MIN;
            let buy = rng.chance((interest * skill * 0.75).min(0.8));
            let left = rng.range(1, 2) as u32;
            let gap = rng.range(1, 4) as u32;
            // A rep inflating the meeting close rate leaves out the meetings
            // that did not lead anywhere.
            let hide = under.is_some_and(|i| {
                let p = if status == MeetingStatus::Held && !buy {
                    0.85
                } else if status != MeetingStatus::Held {
                    0.7
                } else {
                    0.0
                };
                rng.chance(p * i)
            });
            if !hide {
                self.meetings.push(MeetingDraft {
                    rep,
                    record,
                    held_us,
                    status,
                });
            }
            let next = if status == MeetingStatus::Held {
                Stage::Closing {
                    due: self.working_after(d, gap),
                    left,
                    buy,
                }
            } else {
                Stage::Prospecting {
                    due: self.working_after(d, 1),
                }
            };
            if let Some(p) = self.persons.get_mut(person as usize) {
                p.stage = next;
            }
        }
    }

    fn close_sales(&mut self, rep: u32, d: usize) {
        let day_us = self.day_us(d);
        let pipeline = self
            .reps
            .get(rep as usize)
            .map(|r| r.pipeline.clone())
            .unwrap_or_default();
        for person in pipeline {
            let Some(p) = self.persons.get(person as usize) else {
                continue;
            };
            let due = matches!(p.stage, Stage::SaleDue { day } if day <= d);
            if p.owner != rep || !due {
                continue;
            }
            let record = p.active_record;
            let rng = self.rep_rng(rep);
            let closed_us = day_us + rng.range(13 * 60, 15 * 60 + 30) * US_PER_MIN;
            let (amount, currency) = sale_amount(rng);
            let next = rng.range(14, 45) as usize;
            self.sales.push(SaleDraft {
                rep,
                record,
                closed_us,
                amount_minor: amount,
                currency,
            });
            let due = self.working_from(d + next);
            if let Some(p) = self.persons.get_mut(person as usize) {
                p.stage = Stage::Customer { due };
                p.customer = true;
            }
        }
    }

    /// Persons of `rep` due for a touch on day `d`, most overdue first.
    fn due_list(&self, rep: u32, d: usize) -> Vec<u32> {
        let Some(r) = self.reps.get(rep as usize) else {
            return Vec::new();
        };
        let mut due: Vec<(usize, u32)> = r
            .pipeline
            .iter()
            .filter_map(|&i| {
                let p = self.persons.get(i as usize)?;
                if p.owner != rep {
                    return None;
                }
                match p.stage {
                    Stage::Prospecting { due }
                    | Stage::Closing { due, .. }
                    | Stage::Customer { due }
                        if due <= d =>
                    {
                        Some((due, i))
                    }
                    _ => None,
                }
            })
            .collect();
        due.sort_unstable();
        due.into_iter().map(|(_, i)| i).collect()
    }

    fn active_count(&self, rep: u32) -> usize {
        self.reps.get(rep as usize).map_or(0, |r| {
            r.pipeline
                .iter()
                .filter(|&&i| {
                    self.persons.get(i as usize).is_some_and(|p| {
                        p.owner == rep
                            && matches!(
                                p.stage,
                                Stage::Prospecting { .. }
                                    | Stage::MeetingSet { .. }
                                    | Stage::Closing { .. }
                            )
                    })
                })
                .count()
        })
    }

    /// Non-customer prospects the rep is working on, for padded follow-ups.
    fn paddable(&self, rep: u32, now_us: i64) -> Vec<u32> {
        self.reps.get(rep as usize).map_or_else(Vec::new, |r| {
            r.pipeline
                .iter()
                .copied()
                .filter(|&i| {
                    self.persons.get(i as usize).is_some_and(|p| {
                        p.owner == rep
                            && !p.customer
                            && p.last_contact_us != NO_TIME
                            && p.last_contact_us > now_us - 120 * US_PER_DAY
                            && !matches!(p.stage, Stage::SaleDue { .. })
                    })
                })
                .collect()
        })
    }

    pub(crate) fn take_into_pipeline(&mut self, rep: u32, person: u32, due: usize) {
        if let Some(p) = self.persons.get_mut(person as usize) {
            p.owner = rep;
            p.stage = Stage::Prospecting { due };
            p.touches = 0;
        }
        if let Some(r) = self.reps.get_mut(rep as usize) {
            r.pipeline.push(person);
        }
    }

    /// A dormant prospect of this rep (or an orphan) not contacted for more
    /// than 180 days.
    fn dormant_candidate(&mut self, rep: u32, now_us: i64) -> Option<u32> {
        let cutoff = now_us - 181 * US_PER_DAY;
        let mut cands: Vec<u32> = self
            .persons
            .iter()
            .enumerate()
            .filter(|(_, p)| {
                p.owner == rep
                    && !p.customer
                    && matches!(p.stage, Stage::Lost | Stage::Idle)
                    && p.last_contact_us != NO_TIME
                    && p.last_contact_us < cutoff
            })
            .map(|(i, _)| i as u32)
            .collect();
        if cands.is_empty() {
            return None;
        }
        let rng = self.rep_rng(rep);
        let i = rng.index(cands.len());
        Some(cands.swap_remove(i))
    }

    /// Drops persons the rep no longer works on (lost, or taken over).
    fn prune_pipeline(&mut self, rep: u32) {
        let persons = &self.persons;
        if let Some(r) = self.reps.get_mut(rep as usize) {
            r.pipeline.retain(|&i| {
                persons.get(i as usize).is_some_and(|p| {
                    p.owner == rep && !matches!(p.stage, Stage::Lost | Stage::Idle)
                })
            });
            r.pipeline.sort_unstable();
            r.pipeline.dedup();
        }
    }

    /// One rep's working day.
    pub(crate) fn rep_day(&mut self, rep: u32, d: usize) {
        let Some(day) = self.days.get(d).cloned() else {
            return;
        };
        let Some(r) = self.reps.get(rep as usize) else {
            return;
        };
        if r.scripted_month == Some(day.month) {
            return;
        }
        let month = day.month;
        let absent = r.absent.get(d).copied().unwrap_or(false);
        self.prune_pipeline(rep);
        self.hold_meetings(rep, d, month);
        self.close_sales(rep, d);
        if !day.working || absent {
            return;
        }
        let Some(r) = self.reps.get(rep as usize) else {
            return;
        };
        let target = r.target;
        let capacity = r.capacity;
        let bunching = r.gaming(Behaviour::QuotaBunching, month);
        let padding = r.gaming(Behaviour::FollowUpPadding, month);
        let hollow = r.gaming(Behaviour::HollowContacts, month);
        let repeat = r.gaming(Behaviour::RepeatTouch, month);
        let dup = r.gaming(Behaviour::DuplicateInflation, month);
        let backdating = r.gaming(Behaviour::Backdating, month);
        let surge = r.gaming(Behaviour::PeriodEndSurge, month);
        let carry = r.carry;

        // How much the rep manages today.
        let rng = self.rep_rng(rep);
        let mut mult = rng.lognormal(1.0, 0.25);
        if day.left_in_quarter <= 3 {
            // Everyone pushes a little before the quarter closes.
            mult *= 1.1;
        }
        if let Some(i) = surge {
            // Slack early, then catch up in the last days of the month.
            mult *= if day.left_in_month <= 4 {
                1.0 + 1.3 * i
            } else {
                1.0 - 0.25 * i
            };
        }
        let natural = rng.poisson(capacity * mult) + carry;
        let mut n = natural;
        let mut carry_next = 0;
        if let Some(i) = bunching {
            // Stop at the target and keep the rest for tomorrow; scramble up
            // to the target when a little short.
            let reach = (f64::from(target) * 0.5).ceil() as u32;
            if n > target && rng.chance(0.8 * i) {
                carry_next = (n - target).min(target / 2);
                n = target;
            } else if n < target && target - n <= reach && rng.chance(0.9 * i) {
                n = target;
            }
        }
        // Reps who pad swap part of the real work for the easy kind.
        let pad_intensity = [padding, hollow, repeat]
            .iter()
            .flatten()
            .fold(0.0f64, |a, &b| a.max(b));
        let real = if pad_intensity > 0.0 {
            (f64::from(n) * (1.0 - 0.25 * pad_intensity)).round() as u32
        } else {
            n
        };
        let pad = if pad_intensity > 0.0 {
            // The target drives how much gets padded: on average what the
            // rep's real work lacks to reach it, and a bit beyond. Padders
            // do not count to the exact target (that is bunching): the
            // padding of a day varies around its mean.
            let t = f64::from(target);
            let real_mean = capacity * (1.0 - 0.25 * pad_intensity);
            let mean = (t - real_mean).max(0.0) + 0.15 * t * pad_intensity;
            rng.poisson(mean)
        } else {
            0
        };
        if let Some(r) = self.reps.get_mut(rep as usize) {
            r.carry = carry_next;
        }

        let first_contact = self.contacts.len();
        let due = self.due_list(rep, d);
        // Reps keep prospecting every day: about a fifth of the day is kept
        // for new prospects (less when the pipeline is already full), and
        // follow-ups that do not fit wait for the next day.
        let active = self.active_count(rep);
        let room = (capacity * 9.0) as usize;
        let keep_new = if active > room { 0.08 } else { 0.2 };
        let reserve = (f64::from(real) * keep_new).round() as usize;
        let n_due = due.len().min((real as usize).saturating_sub(reserve));
        let mut slots: Vec<(u32, bool)> = due.iter().take(n_due).map(|&p| (p, false)).collect();
        let mut remaining = real as usize - n_due;
        // Now and then a long-dormant prospect is worth another try.
        let now = day.start_us + 12 * US_PER_HOUR;
        if remaining > 0
            && self.rep_rng(rep).chance(0.08)
            && let Some(p) = self.dormant_candidate(rep, now)
        {
            self.take_into_pipeline(rep, p, d);
            slots.push((p, true));
            remaining -= 1;
        }
        let mut new_slots = remaining;
        if let Some(i) = padding {
            // The padder skips half of the prospecting: follow-ups are easier.
            let skip = (new_slots as f64 * 0.5 * i).round() as usize;
            new_slots -= skip;
        }
        let times = {
            let rng = self.rep_rng(rep);
            Self::times_of_day(rng, day.start_us, slots.len() + new_slots)
        };
        let mut t = times.into_iter();
        for (person, _) in slots {
            let at = t.next().unwrap_or(now);
            self.progress_contact(rep, person, d, at, false);
        }
        for _ in 0..new_slots {
            let at = t.next().unwrap_or(now);
            let rng = self.rep_rng(rep);
            let inflate = dup.is_some_and(|i| rng.chance(0.45 * i));
            let honest_dup = rng.chance(0.02);
            let person = if inflate || honest_dup {
                match self.reentry(rep, at, inflate) {
                    Some(p) => {
                        let rng = self.rep_rng(rep);
                        let source = if inflate {
                            rng.pick(&[Source::ColdList, Source::Other, Source::Event])
                                .copied()
                                .unwrap_or(Source::Other)
                        } else {
                            Source::Inbound
                        };
                        let by = (inflate || rng.chance(0.5)).then_some(rep);
                        let created = at - rng.range(2, 30) * US_PER_MIN;
                        let rec = self.add_record(p, rep, true, source, created, by);
                        if inflate {
                            self.gamed_records
                                .push((Behaviour::DuplicateInflation, rec));
                        }
                        p
                    }
                    None => self.fresh_prospect(rep, at).0,
                }
            } else {
                self.fresh_prospect(rep, at).0
            };
            self.take_into_pipeline(rep, person, d);
            self.progress_contact(rep, person, d, at, true);
        }

        // Padding, as the planted behaviour does it.
        if pad > 0 {
            self.pad_day(rep, d, pad, padding, hollow, repeat, first_contact);
        }
        if let Some(i) = backdating {
            self.backdate(rep, d, first_contact, i);
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn pad_day(
        &mut self,
        rep: u32,
        d: usize,
        pad: u32,
        padding: Option<f64>,
        hollow: Option<f64>,
        repeat: Option<f64>,
        first_contact: usize,
    ) {
        let Some(day) = self.days.get(d).cloned() else {
            return;
        };
        let now = day.start_us + 12 * US_PER_HOUR;
        let kinds: Vec<(Purpose, f64)> = [
            (Purpose::Pad, padding),
            (Purpose::Hollow, hollow),
            (Purpose::Repeat, repeat),
        ]
        .into_iter()
        .filter_map(|(k, i)| i.map(|i| (k, i)))
        .collect();
        let weights: Vec<f64> = kinds.iter().map(|(_, i)| *i).collect();
        // Padders spread their easy calls over people not yet called today:
        // calling one person three times a day is another behaviour.
        let mut paddable: Vec<u32> = self
            .paddable(rep, now)
            .into_iter()
            .filter(|&p| {
                self.persons
                    .get(p as usize)
                    .is_some_and(|x| x.last_contact_us < day.start_us)
            })
            .collect();
        let mut left = pad;
        while left > 0 {
            let k = {
                let rng = self.rep_rng(rep);
                kinds
                    .get(rng.weighted(&weights))
                    .map_or(Purpose::Pad, |(k, _)| *k)
            };
            match k {
                Purpose::Repeat => {
                    // Split one of today's real conversations into several.
                    let todays: Vec<(usize, i64, u32)> = self
                        .contacts
                        .get(first_contact..)
                        .unwrap_or(&[])
                        .iter()
                        .enumerate()
                        .filter(|(_, c)| c.rep == rep && c.gamed.is_none())
                        .map(|(i, c)| (first_contact + i, c.occurred_us, c.record))
                        .collect();
                    let rng = self.rep_rng(rep);
                    let Some(&(_, at, record)) = rng.pick(&todays) else {
                        break;
                    };
                    let extra = (rng.range(2, 3) as u32).min(left);
                    let person = self
                        .records
                        .get(record as usize)
                        .map_or(NOBODY, |r| r.person);
                    let mut t = at;
                    for _ in 0..extra {
                        let rng = self.rep_rng(rep);
                        t += rng.range(3, 60) * US_PER_MIN;
                        let i = self.pad_contact(rep, person, t, Purpose::Repeat);
                        if let Some(c) = self.contacts.get_mut(i) {
                            c.record = record;
                        }
                    }
                    left -= extra;
                }
                Purpose::Hollow => {
                    let rng = self.rep_rng(rep);
                    let at = day.start_us + 6 * US_PER_HOUR + rng.range(0, 9 * 3600) * US_PER_S;
                    let person = if rng.chance(0.6) && !paddable.is_empty() {
                        let i = rng.index(paddable.len());
                        Some(paddable.swap_remove(i))
                    } else {
                        None
                    };
                    let person = match person {
                        Some(p) => p,
                        None => {
                            // A quick dial of a cold-list name, never
                            // followed up.
                            let (p, _) = self.fresh_prospect(rep, at);
                            if let Some(x) = self.persons.get_mut(p as usize) {
                                x.stage = Stage::Lost;
                            }
                            p
                        }
                    };
                    let _ = self.pad_contact(rep, person, at, Purpose::Hollow);
                    left -= 1;
                }
                _ => {
                    let rng = self.rep_rng(rep);
                    if paddable.is_empty() {
                        break;
                    }
                    let person = paddable.swap_remove(rng.index(paddable.len()));
                    let at = day.start_us + 6 * US_PER_HOUR + rng.range(0, 9 * 3600) * US_PER_S;
                    let _ = self.pad_contact(rep, person, at, Purpose::Pad);
                    left -= 1;
                }
            }
        }
    }

    /// The backdating rep keeps today's contacts unlogged and enters them,
    /// with invented ones for short days, in one sitting every few days.
    fn backdate(&mut self, rep: u32, d: usize, first_contact: usize, intensity: f64) {
        let Some(day) = self.days.get(d).cloned() else {
            return;
        };
        let todays: Vec<usize> = (first_contact..self.contacts.len())
            .filter(|&i| self.contacts.get(i).is_some_and(|c| c.rep == rep))
            .collect();
        let rng = self.rep_rng(rep);
        let hold = rng.chance(0.75 * intensity);
        let flush_now = day.left_in_month <= 1 || rng.chance(0.3);
        let target = self.reps.get(rep as usize).map_or(0, |r| r.target);
        if let Some(r) = self.reps.get_mut(rep as usize)
            && hold
        {
            r.backlog.extend(todays.iter().copied());
            if r.backlog_since.is_none() {
                r.backlog_since = Some(d);
            }
        }
        if !flush_now {
            return;
        }
        let (backlog, since) = match self.reps.get_mut(rep as usize) {
            Some(r) => (std::mem::take(&mut r.backlog), r.backlog_since.take()),
            None => return,
        };
        if backlog.is_empty() {
            return;
        }
        // Short days in the backlog get invented contacts.
        let mut fabricated = Vec::new();
        if let Some(since) = since {
            let now = day.start_us + 12 * US_PER_HOUR;
            let paddable = self.paddable(rep, now);
            for dd in since..=d {
                let Some(dday) = self.days.get(dd).cloned() else {
                    continue;
                };
                if !dday.working {
                    continue;
                }
                let count = backlog
                    .iter()
                    .filter(|&&i| {
                        self.contacts.get(i).is_some_and(|c| {
                            c.occurred_us >= dday.start_us
                                && c.occurred_us < dday.start_us + US_PER_DAY
                        })
                    })
                    .count() as u32;
                let rng = self.rep_rng(rep);
                if count < target && rng.chance(0.6 * intensity) {
                    // A few invented contacts for a short day.
                    let invent = rng.range(1, 3) as u32;
                    for _ in 0..invent {
                        let rng = self.rep_rng(rep);
                        let Some(&person) = rng.pick(&paddable) else {
                            break;
                        };
                        let at =
                            dday.start_us + 6 * US_PER_HOUR + rng.range(0, 9 * 3600) * US_PER_S;
                        fabricated.push(self.pad_contact(rep, person, at, Purpose::Fabricated));
                    }
                }
            }
        }
        let mut all: Vec<usize> = backlog.into_iter().chain(fabricated).collect();
        all.sort_by_key(|&i| self.contacts.get(i).map_or(0, |c| c.occurred_us));
        let rng = self.rep_rng(rep);
        let mut t = day.start_us + 15 * US_PER_HOUR + rng.range(0, 90) * US_PER_MIN;
        for i in all {
            let step = self.rep_rng(rep).range(2, 15) * US_PER_S;
            t += step;
            if let Some(c) = self.contacts.get_mut(i) {
                c.logged_us = Some(t.max(c.occurred_us));
                if c.gamed.is_none() {
                    c.gamed = Some(Behaviour::Backdating);
                }
            }
        }
    }
}

fn sale_amount(rng: &mut Rng) -> (Option<i64>, Option<&'static str>) {
    if rng.chance(0.02) {
        return (None, None);
    }
    if rng.chance(0.06) {
        let eur = rng.lognormal(2_500.0, 0.7).round() as i64;
        return (Some(eur.max(100) * 100), Some("EUR"));
    }
    let ron = rng.lognormal(12_000.0, 0.8).round() as i64;
    (Some(ron.max(300) * 100), Some("RON"))
}

pub(crate) fn honest_sale_amount(rng: &mut Rng) -> (Option<i64>, Option<&'static str>) {
    let ron = rng.lognormal(12_000.0, 0.8).round() as i64;
    (Some(ron.max(300) * 100), Some("RON"))
}
