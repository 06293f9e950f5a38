//! A seeded behavioural simulator of a sales team (feature `sim`).
//!
//! [`simulate`] plays a team day by day: every working day each rep works
//! through the prospects that are due for a follow-up, books and holds
//! meetings (some are no-shows or get cancelled), closes sales (amounts in
//! RON minor units, a few in EUR), checks in on customers, now and then
//! revives a prospect that has been dormant for more than 180 days, and
//! starts new engagements. Prospect records are typed the way people type
//! them: the same person is sometimes entered again with the name order
//! swapped, diacritics dropped, `SRL` written `S.R.L.`, the e-mail in
//! capitals or with a `+tag`, the phone as `+40 721 234 567` or
//! `0721-234-567`.
//!
//! Reps can be *planted* with one or more of SPEC §9's gaming behaviours
//! ([`Behaviour`]) from a given month on. Each is simulated as what a person
//! gaming that target does — stopping at the target and keeping the rest
//! for tomorrow, calling known prospects because that is easier, splitting
//! one conversation into several logged contacts, re-entering a known
//! prospect as a new record, typing in a week of contacts in one sitting,
//! slacking and then surging before the month closes, logging dials that
//! went nowhere, leaving unsuccessful meetings out — not as a statistical
//! artefact. How hard a padding rep pads depends on their daily target, so
//! raising the target in [`SimConfig::rep_overrides`] is a what-if.
//!
//! The result is plain [`Records`] plus the [`Truth`]: who games how from
//! when, the true prospect partition (record → person), and the ids of the
//! records that gaming produced.
//!
//! The same configuration and seed always give the same records, on every
//! platform.
//!
//! For deduplication, [`CrmConfig`] generates CRM prospect records with
//! the true person behind each (the hard cases included: colleagues,
//! namesakes, shared switchboards) and [`LinkageScores`] scores a
//! partition against that truth.
//!
//! # Example
//! ```
//! use sales_metrics::sim::{simulate, Behaviour, Planted, SimConfig};
//!
//! let config = SimConfig {
//!     reps: 6,
//!     months: 2,
//!     planted: vec![Planted::new(2, Behaviour::HollowContacts, 1)],
//!     ..SimConfig::default()
//! };
//! let sim = simulate(&config)?;
//! assert!(sim.records.contacts.len() > 1_000);
//! assert_eq!(sim.truth.planted[0].behaviour, Behaviour::HollowContacts);
//! let ledger = sim.ledger()?; // built with the true partition
//! assert_eq!(ledger.reps().len(), 6);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod crm;
mod engine;
mod eval;
mod linkage;
mod names;
mod script;
mod write;

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, Months, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::SuppliedPartition;
use crate::error::{Error, Result};
use crate::ledger::{Ledger, LedgerBuilder};
use crate::model::{
    Contact, ContactId, Meeting, MeetingId, ProspectId, ProspectRecord, ProspectRecordId,
    RecordKind, Records, Rep, RepId, Sale, SaleId, TeamId,
};
use crate::rng::Rng;
use crate::time::from_micros;
pub use crm::{CrmConfig, CrmData, CrmRow};
use engine::{RepState, World};
pub use eval::{BehaviourScore, Evaluation};
pub use linkage::LinkageScores;

/// The gaming behaviours of SPEC §9, one per built-in detector (the
/// detector's name is [`Behaviour::as_str`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Behaviour {
    /// Stops at the daily target and keeps the rest for tomorrow; scrambles
    /// up to it with quick extra contacts when a little short.
    QuotaBunching,
    /// Calls known prospects who need no call because it is easier than
    /// prospecting; those calls lead nowhere.
    FollowUpPadding,
    /// Splits one conversation into several logged contacts within hours.
    RepeatTouch,
    /// Enters prospects already known to the CRM as new records, so that
    /// they count as new.
    DuplicateInflation,
    /// Logs contacts days late in one sitting (seconds apart), inventing
    /// some for short days.
    Backdating,
    /// Slacks early in the month and surges in its last working days.
    PeriodEndSurge,
    /// Logs dials that went nowhere: no or a few seconds' duration, no
    /// outcome.
    HollowContacts,
    /// Leaves held meetings that did not close (and no-shows) unlogged, so
    /// the meeting close rate looks high.
    MeetingUnderreporting,
}

impl Behaviour {
    /// Every behaviour, in SPEC §9 order.
    pub const ALL: [Behaviour; 8] = [
        Behaviour::QuotaBunching,
        Behaviour::FollowUpPadding,
        Behaviour::RepeatTouch,
        Behaviour::DuplicateInflation,
        Behaviour::Backdating,
        Behaviour::PeriodEndSurge,
        Behaviour::HollowContacts,
        Behaviour::MeetingUnderreporting,
    ];

    /// The SPEC §9 name, which is also the name of the detector that
    /// catches it (`quota_bunching`, …).
    pub const fn as_str(self) -> &'static str {
        match self {
            Behaviour::QuotaBunching => "quota_bunching",
            Behaviour::FollowUpPadding => "follow_up_padding",
            Behaviour::RepeatTouch => "repeat_touch",
            Behaviour::DuplicateInflation => "duplicate_inflation",
            Behaviour::Backdating => "backdating",
            Behaviour::PeriodEndSurge => "period_end_surge",
            Behaviour::HollowContacts => "hollow_contacts",
            Behaviour::MeetingUnderreporting => "meeting_underreporting",
        }
    }
}

impl fmt::Display for Behaviour {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Behaviour {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Behaviour::ALL
            .iter()
            .copied()
            .find(|b| b.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| Error::invalid("behaviour", format!("unknown behaviour {s:?}")))
    }
}

/// One gaming behaviour planted on one rep.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Planted {
    /// The rep, by position (`0..reps`).
    pub rep: usize,
    /// What the rep does.
    pub behaviour: Behaviour,
    /// From which month on, counted from [`SimConfig::start`] (0 = the first).
    pub from_month: u32,
    /// How hard (1.0 = the default; 0.5 = half as often or as much).
    pub intensity: f64,
}

impl Planted {
    /// `rep` games with `behaviour` from month `from_month` at intensity 1.
    pub fn new(rep: usize, behaviour: Behaviour, from_month: u32) -> Self {
        Planted {
            rep,
            behaviour,
            from_month,
            intensity: 1.0,
        }
    }
}

/// Per-rep settings that replace the defaults (what-if analysis).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RepOverride {
    /// The rep, by position.
    pub rep: usize,
    /// The rep's daily contact target.
    pub daily_target: Option<u32>,
    /// The rep's honest contacts per working day (mean).
    pub contacts_per_day: Option<f64>,
}

/// Reproduces SPEC §10's worked example: rep `rep` logs, in month `month`,
/// exactly 60 contacts (15 first contacts of 15 fresh prospects and 45
/// follow-ups of prospects the rep reached before, none of them a customer
/// yet), 15 held meetings and 10 sales, and nothing else; nobody else
/// touches those prospects in that month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkedExample {
    /// The rep, by position.
    pub rep: usize,
    /// The month, counted from [`SimConfig::start`].
    pub month: u32,
}

/// What to simulate. [`SimConfig::default`] is a team of 20 reps in 2
/// teams over 6 months from January 2026, honest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimConfig {
    /// Seed of every random draw.
    pub seed: u64,
    /// Number of reps.
    pub reps: usize,
    /// Number of teams (reps are split into contiguous blocks).
    pub teams: usize,
    /// First day of the simulated window (the month it falls in is month 0).
    pub start: NaiveDate,
    /// Length of the window in calendar months.
    pub months: u32,
    /// Months of full activity before the window, so that the window starts
    /// with a pipeline in progress (they are part of the output).
    pub history_months: u32,
    /// Older prospects per rep, reached 7 to 12 months before the window
    /// and dormant since: the ones that get reactivated.
    pub dormant_per_rep: u32,
    /// Customers per rep won before the history starts, checked on now and
    /// then.
    pub customers_per_rep: u32,
    /// Mean honest contacts per rep and working day (each rep varies a
    /// little around it, and each day around the rep's mean).
    pub contacts_per_rep_day: f64,
    /// Daily contact target of every rep (see [`SimConfig::rep_overrides`]).
    pub daily_target: u32,
    /// Per-rep targets and activity.
    pub rep_overrides: Vec<RepOverride>,
    /// Gaming behaviours.
    pub planted: Vec<Planted>,
    /// SPEC §10's worked example, if wanted.
    pub worked_example: Option<WorkedExample>,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            seed: 1,
            reps: 20,
            teams: 2,
            start: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default(),
            months: 6,
            history_months: 2,
            dormant_per_rep: 20,
            customers_per_rep: 5,
            contacts_per_rep_day: 8.0,
            daily_target: 8,
            rep_overrides: Vec::new(),
            planted: Vec::new(),
            worked_example: None,
        }
    }
}

impl SimConfig {
    /// The shipped demo team (`data/demo/`): 8 reps in 2 teams, January to
    /// June 2026, about 4 contacts a day each; `ana` (rep 0) is SPEC §10's
    /// worked example in June; `bogdan` bunches at his target from
    /// February, `dan` pads with follow-ups from March, `florin` logs
    /// hollow contacts from January and `horia` backdates from April.
    pub fn demo() -> Self {
        SimConfig {
            seed: 2026,
            reps: 8,
            teams: 2,
            months: 6,
            history_months: 1,
            dormant_per_rep: 12,
            customers_per_rep: 3,
            contacts_per_rep_day: 4.0,
            daily_target: 4,
            rep_overrides: vec![RepOverride {
                rep: 0,
                daily_target: Some(3),
                contacts_per_day: Some(3.0),
            }],
            planted: vec![
                Planted::new(1, Behaviour::QuotaBunching, 1),
                Planted::new(3, Behaviour::FollowUpPadding, 2),
                Planted::new(5, Behaviour::HollowContacts, 0),
                Planted::new(7, Behaviour::Backdating, 3),
            ],
            worked_example: Some(WorkedExample { rep: 0, month: 5 }),
            ..SimConfig::default()
        }
    }

    /// Plants one behaviour on about `share` of the reps (at least one when
    /// `share > 0`), chosen from the seed: behaviours go round
    /// [`Behaviour::ALL`] from a seed-dependent offset, each from a month in
    /// the first half of the window. Replaces [`SimConfig::planted`].
    pub fn plant_random(&mut self, share: f64) -> &mut Self {
        let mut rng = Rng::new(self.seed, 0x5EED);
        let mut reps: Vec<usize> = (0..self.reps).collect();
        rng.shuffle(&mut reps);
        let n = if share > 0.0 {
            ((self.reps as f64 * share).round() as usize).clamp(1, self.reps)
        } else {
            0
        };
        let offset = rng.index(Behaviour::ALL.len());
        self.planted = reps
            .iter()
            .take(n)
            .enumerate()
            .map(|(k, &rep)| {
                let behaviour = Behaviour::ALL
                    .get((offset + k) % Behaviour::ALL.len())
                    .copied()
                    .unwrap_or(Behaviour::QuotaBunching);
                let from = rng.range(0, i64::from(self.months.saturating_sub(1) / 2)) as u32;
                Planted::new(rep, behaviour, from)
            })
            .collect();
        self
    }

    fn validate(&self) -> Result<()> {
        if self.reps == 0 {
            return Err(Error::invalid("SimConfig::reps", "must be at least 1"));
        }
        if self.teams == 0 || self.teams > self.reps {
            return Err(Error::invalid(
                "SimConfig::teams",
                "must be between 1 and the number of reps",
            ));
        }
        if self.months == 0 {
            return Err(Error::invalid("SimConfig::months", "must be at least 1"));
        }
        if !(self.contacts_per_rep_day.is_finite() && self.contacts_per_rep_day > 0.0) {
            return Err(Error::invalid(
                "SimConfig::contacts_per_rep_day",
                "must be a positive number",
            ));
        }
        for p in &self.planted {
            if p.rep >= self.reps {
                return Err(Error::invalid(
                    "SimConfig::planted",
                    format!("rep {} out of range (reps = {})", p.rep, self.reps),
                ));
            }
            if !(p.intensity.is_finite() && (0.0..=2.0).contains(&p.intensity)) {
                return Err(Error::invalid(
                    "SimConfig::planted",
                    format!("intensity {} is not in [0, 2]", p.intensity),
                ));
            }
        }
        for o in &self.rep_overrides {
            if o.rep >= self.reps {
                return Err(Error::invalid(
                    "SimConfig::rep_overrides",
                    format!("rep {} out of range (reps = {})", o.rep, self.reps),
                ));
            }
            if o.contacts_per_day
                .is_some_and(|c| !(c.is_finite() && c > 0.0))
            {
                return Err(Error::invalid(
                    "SimConfig::rep_overrides",
                    "contacts_per_day must be a positive number",
                ));
            }
        }
        if let Some(w) = self.worked_example
            && (w.rep >= self.reps || w.month >= self.months)
        {
            return Err(Error::invalid(
                "SimConfig::worked_example",
                "rep or month out of range",
            ));
        }
        Ok(())
    }
}

/// A planted behaviour as it came out: the rep's id and the first instant
/// of the month it starts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlantedTruth {
    /// The rep.
    pub rep_id: RepId,
    /// The behaviour.
    pub behaviour: Behaviour,
    /// Its first month, counted from the window's start.
    pub from_month: u32,
    /// The first instant of that month (UTC).
    pub from: DateTime<Utc>,
    /// Intensity.
    pub intensity: f64,
}

/// What really happened in a simulation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Truth {
    /// Who games how from when.
    pub planted: Vec<PlantedTruth>,
    /// Every prospect record with the cluster id of its person (the
    /// smallest `prospect_id` of the person's records, SPEC §4), in
    /// `prospect_id` order.
    pub partition: Vec<(ProspectRecordId, ProspectId)>,
    /// Ids of the contacts and prospect records that gaming produced or
    /// changed, with the behaviour behind each, sorted.
    pub gamed_records: Vec<(Behaviour, RecordKind, String)>,
    /// The first instant (UTC) of each month of the window, and of the end.
    pub month_starts: Vec<DateTime<Utc>>,
}

impl Truth {
    /// Whether `rep_id` games with `behaviour` at instant `at`.
    pub fn is_gaming(&self, rep_id: &str, behaviour: Behaviour, at: DateTime<Utc>) -> bool {
        self.planted
            .iter()
            .any(|p| p.rep_id.as_str() == rep_id && p.behaviour == behaviour && at >= p.from)
    }

    /// Whether `rep_id` has any planted behaviour.
    pub fn is_planted(&self, rep_id: &str) -> bool {
        self.planted.iter().any(|p| p.rep_id.as_str() == rep_id)
    }

    /// The true partition as a [`SuppliedPartition`].
    pub fn supplied_partition(&self) -> SuppliedPartition {
        self.partition
            .iter()
            .map(|(p, c)| (p.as_str().to_owned(), c.as_str().to_owned()))
            .collect()
    }
}

/// Records and truth of one simulation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Simulation {
    /// The team's records, as a CRM export would give them.
    pub records: Records,
    /// What really happened.
    pub truth: Truth,
}

impl Simulation {
    /// Builds the ledger of the records with the true prospect partition
    /// (strict mode: simulated records are all valid).
    ///
    /// # Errors
    /// Only if the simulator produced an invalid record (a bug).
    pub fn ledger(&self) -> Result<Ledger> {
        let mut b = LedgerBuilder::new();
        b.add_records(self.records.clone());
        b.partition(self.truth.supplied_partition());
        b.build()
    }

    /// Writes `reps.csv`, `prospects.csv`, `contacts.csv`, `meetings.csv`,
    /// `sales.csv` (SPEC §2 columns, RFC 3339 UTC times, empty cells for
    /// absent values) and `prospect_clusters.csv` (the true partition,
    /// SPEC §11) into `dir`, creating it if needed.
    ///
    /// # Errors
    /// [`Error::Io`] when a file cannot be written.
    pub fn write_csv_dir(&self, dir: impl AsRef<std::path::Path>) -> Result<()> {
        write::write_dir(self, dir.as_ref())
    }
}

const REP_NAMES: &[&str] = &[
    "ana",
    "bogdan",
    "cristina",
    "dan",
    "elena",
    "florin",
    "gabriela",
    "horia",
    "ioana",
    "mihai",
    "raluca",
    "stefan",
    "teodora",
    "vlad",
    "adina",
    "bianca",
    "cosmin",
    "diana",
    "emil",
    "filip",
    "georgiana",
    "ionut",
    "laura",
    "marius",
    "nicoleta",
    "ovidiu",
    "paula",
    "radu",
    "sorina",
    "tudor",
    "victor",
    "alina",
    "catalin",
    "denisa",
    "eugen",
    "flavia",
    "gelu",
    "irina",
    "lucian",
    "monica",
    "octavian",
    "petra",
    "roxana",
    "silviu",
    "tania",
    "valentin",
    "andrei",
    "carmen",
    "doru",
    "ema",
];

const TEAM_NAMES: &[&str] = &["north", "south", "east", "west", "central"];

fn rep_name(i: usize) -> String {
    match REP_NAMES.get(i) {
        Some(n) => (*n).to_owned(),
        None => {
            let base = REP_NAMES.get(i % REP_NAMES.len()).copied().unwrap_or("rep");
            format!("{base}{}", i / REP_NAMES.len() + 1)
        }
    }
}

fn team_name(t: usize) -> String {
    TEAM_NAMES
        .get(t)
        .map_or_else(|| format!("team{}", t + 1), |n| (*n).to_owned())
}

/// Runs the simulation described by `config`.
///
/// # Errors
/// [`Error::InvalidArgument`] when the configuration is inconsistent (no
/// reps, more teams than reps, a planted rep out of range, …).
pub fn simulate(config: &SimConfig) -> Result<Simulation> {
    config.validate()?;
    let mut world = World::new(config);
    setup_reps(&mut world);
    seed_history(&mut world);
    let warm_start = world
        .days
        .iter()
        .position(|d| d.month >= -(config.history_months as i32))
        .unwrap_or(0);
    let n_days = world.days.len();
    let n_reps = world.reps.len() as u32;
    for d in warm_start..n_days {
        let month = world.day(d).map_or(0, |x| x.month);
        let first_of_month = world.day(d).is_some_and(|x| x.date.day() == 1);
        for rep in 0..n_reps {
            let scripted = world
                .reps
                .get(rep as usize)
                .is_some_and(|r| r.scripted_month == Some(month));
            if scripted && first_of_month {
                script::worked_example(&mut world, rep, d);
            }
            world.rep_day(rep, d);
        }
    }
    Ok(finish(world))
}

/// The shipped demo data set: [`simulate`] of [`SimConfig::demo`].
///
/// # Errors
/// None in practice (the demo configuration is valid).
pub fn demo() -> Result<Simulation> {
    simulate(&SimConfig::demo())
}

fn setup_reps(world: &mut World<'_>) {
    let cfg = world.cfg;
    let n_days = world.days.len();
    for i in 0..cfg.reps {
        let mut rng = Rng::new(cfg.seed, i as u64);
        let over = cfg.rep_overrides.iter().rev().find(|o| o.rep == i);
        let target = over
            .and_then(|o| o.daily_target)
            .unwrap_or(cfg.daily_target);
        let capacity = over
            .and_then(|o| o.contacts_per_day)
            .unwrap_or_else(|| cfg.contacts_per_rep_day * rng.lognormal(1.0, 0.12));
        let skill = rng.lognormal(1.0, 0.15);
        // Holidays: one or two blocks of a week a half-year, and the odd
        // sick day.
        let mut absent = vec![false; n_days];
        let blocks = 1 + (cfg.months + cfg.history_months) / 6;
        for _ in 0..blocks {
            let s = rng.index(n_days);
            let len = rng.range(5, 9) as usize;
            for a in absent.iter_mut().skip(s).take(len) {
                *a = true;
            }
        }
        for a in &mut absent {
            if rng.chance(0.02) {
                *a = true;
            }
        }
        let behaviours = cfg
            .planted
            .iter()
            .filter(|p| p.rep == i)
            .map(|p| (p.behaviour, p.from_month as i32, p.intensity))
            .collect();
        let scripted_month = cfg
            .worked_example
            .filter(|w| w.rep == i)
            .map(|w| w.month as i32);
        if scripted_month.is_some() {
            // The worked example's rep is present every day of the window.
            absent.iter_mut().for_each(|a| *a = false);
        }
        world.reps.push(RepState {
            id: rep_name(i),
            team: i * cfg.teams / cfg.reps,
            target,
            capacity,
            skill,
            rng,
            pipeline: Vec::new(),
            absent,
            carry: 0,
            backlog: Vec::new(),
            backlog_since: None,
            behaviours,
            scripted_month,
        });
    }
}

/// Dormant prospects and old customers from before the warm-up.
fn seed_history(world: &mut World<'_>) {
    let cfg = world.cfg;
    let warm = -(cfg.history_months as i32);
    // Customers were won in the half-year before the warm-up; dormant
    // prospects were last reached 4 to 9 months before the window, so that
    // they pass 180 days of silence during it.
    let old_days: Vec<usize> = world
        .days
        .iter()
        .enumerate()
        .filter(|(_, d)| d.working && d.month < warm && d.month >= warm - 6)
        .map(|(i, _)| i)
        .collect();
    let dormant_days: Vec<usize> = world
        .days
        .iter()
        .enumerate()
        .filter(|(_, d)| d.working && d.month < warm.min(-3) && d.month >= -9)
        .map(|(i, _)| i)
        .collect();
    for rep in 0..world.reps.len() as u32 {
        for _ in 0..cfg.dormant_per_rep {
            script::legacy_prospect(world, rep, &dormant_days, false);
        }
        for _ in 0..cfg.customers_per_rep {
            script::legacy_prospect(world, rep, &old_days, true);
        }
    }
}

fn width(n: usize) -> usize {
    n.to_string().len().max(5)
}

/// Turns the world's drafts into records with chronological ids.
fn finish(world: World<'_>) -> Simulation {
    let World {
        cfg,
        days: _,
        companies: _,
        persons,
        records,
        contacts,
        meetings,
        sales,
        reps,
        rng: _,
        gamed_records,
        start_day: _,
    } = world;

    let rep_id = |r: u32| -> RepId {
        reps.get(r as usize)
            .map_or_else(RepId::default, |x| RepId::new(x.id.clone()))
    };
    let out_reps: Vec<Rep> = reps
        .iter()
        .map(|r| Rep {
            rep_id: RepId::new(r.id.clone()),
            name: Some(capitalise(&r.id)),
            team_id: Some(TeamId::new(team_name(r.team))),
            daily_contact_target: Some(i64::from(r.target)),
        })
        .collect();

    // Prospect ids follow creation time, as a CRM sequence would.
    let mut order: Vec<usize> = (0..records.len()).collect();
    order.sort_by_key(|&i| records.get(i).map(|r| (r.order_us, r.seq)));
    let w = width(records.len());
    let mut record_id = vec![String::new(); records.len()];
    for (k, &i) in order.iter().enumerate() {
        if let Some(slot) = record_id.get_mut(i) {
            *slot = format!("p{:0w$}", k + 1);
        }
    }
    let rid = |r: u32| -> ProspectRecordId {
        ProspectRecordId::new(record_id.get(r as usize).cloned().unwrap_or_default())
    };
    let mut out_prospects: Vec<ProspectRecord> = order
        .iter()
        .filter_map(|&i| {
            let r = records.get(i)?;
            Some(ProspectRecord {
                prospect_id: rid(i as u32),
                name: r.text.name.clone(),
                company: r.text.company.clone(),
                email: r.text.email.clone(),
                phone: r.text.phone.clone(),
                city: r.text.city.clone(),
                country: Some("RO".to_owned()),
                source: r.source,
                created_at: r.created_us.map(from_micros),
                created_by: r.created_by.map(rep_id),
            })
        })
        .collect();
    out_prospects.sort_by(|a, b| a.prospect_id.cmp(&b.prospect_id));

    let partition = {
        let mut v: Vec<(ProspectRecordId, ProspectId)> = Vec::with_capacity(records.len());
        for p in &persons {
            let cluster = p.records.iter().map(|&r| rid(r)).min().unwrap_or_default();
            let cluster = ProspectId::new(cluster.into_string());
            for &r in &p.records {
                v.push((rid(r), cluster.clone()));
            }
        }
        v.sort();
        v
    };

    let mut gamed: Vec<(Behaviour, RecordKind, String)> = gamed_records
        .iter()
        .map(|&(b, r)| (b, RecordKind::Prospect, rid(r).into_string()))
        .collect();

    let mut corder: Vec<usize> = (0..contacts.len()).collect();
    corder.sort_by_key(|&i| contacts.get(i).map(|c| (c.occurred_us, c.rep, i)));
    let w = width(contacts.len());
    let out_contacts: Vec<Contact> = corder
        .iter()
        .enumerate()
        .filter_map(|(k, &i)| {
            let c = contacts.get(i)?;
            let id = format!("c{:0w$}", k + 1);
            if let Some(b) = c.gamed {
                gamed.push((b, RecordKind::Contact, id.clone()));
            }
            Some(Contact {
                contact_id: ContactId::new(id),
                rep_id: rep_id(c.rep),
                prospect_id: rid(c.record),
                occurred_at: from_micros(c.occurred_us),
                logged_at: c.logged_us.map(|t| from_micros(t.max(c.occurred_us))),
                channel: c.channel,
                direction: c.direction,
                duration_s: c.duration_s,
                outcome: c.outcome,
            })
        })
        .collect();

    let mut morder: Vec<usize> = (0..meetings.len()).collect();
    morder.sort_by_key(|&i| meetings.get(i).map(|m| (m.held_us, m.rep, i)));
    let w = width(meetings.len());
    let out_meetings: Vec<Meeting> = morder
        .iter()
        .enumerate()
        .filter_map(|(k, &i)| {
            let m = meetings.get(i)?;
            Some(Meeting {
                meeting_id: MeetingId::new(format!("m{:0w$}", k + 1)),
                rep_id: rep_id(m.rep),
                prospect_id: rid(m.record),
                held_at: from_micros(m.held_us),
                status: m.status,
            })
        })
        .collect();

    let mut sorder: Vec<usize> = (0..sales.len()).collect();
    sorder.sort_by_key(|&i| sales.get(i).map(|s| (s.closed_us, s.rep, i)));
    let w = width(sales.len());
    let out_sales: Vec<Sale> = sorder
        .iter()
        .enumerate()
        .filter_map(|(k, &i)| {
            let s = sales.get(i)?;
            Some(Sale {
                sale_id: SaleId::new(format!("s{:0w$}", k + 1)),
                rep_id: rep_id(s.rep),
                prospect_id: rid(s.record),
                closed_at: from_micros(s.closed_us),
                amount_minor: s.amount_minor,
                currency: s.currency.map(str::to_owned),
            })
        })
        .collect();
    gamed.sort();

    let start = cfg.start.with_day(1).unwrap_or(cfg.start);
    let month_starts = (0..=cfg.months)
        .filter_map(|m| start.checked_add_months(Months::new(m)))
        .filter_map(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
        .collect::<Vec<_>>();
    let planted = cfg
        .planted
        .iter()
        .map(|p| PlantedTruth {
            rep_id: rep_id(p.rep as u32),
            behaviour: p.behaviour,
            from_month: p.from_month,
            from: month_starts
                .get(p.from_month as usize)
                .copied()
                .unwrap_or(DateTime::<Utc>::MAX_UTC),
            intensity: p.intensity,
        })
        .collect();

    Simulation {
        records: Records {
            reps: out_reps,
            prospects: out_prospects,
            contacts: out_contacts,
            meetings: out_meetings,
            sales: out_sales,
        },
        truth: Truth {
            planted,
            partition,
            gamed_records: gamed,
            month_starts,
        },
    }
}

fn capitalise(s: &str) -> String {
    let mut cs = s.chars();
    cs.next()
        .map(|c| c.to_uppercase().chain(cs).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests;
