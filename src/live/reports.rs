//! The reports a live ledger keeps up to date (period, cohort, survival)
//! and how an update refreshes a prospect's part of them.

use super::follow::{Fact, Survival, Tracked};
use super::store::LiveLedger;
use crate::classify::sequence::{self as order, EventKind};
use crate::error::{Error, Result};
use crate::report::survival::Milestone;
use crate::report::{CohortReport, PeriodReport, PeriodSpec, SurvivalCurve};

impl LiveLedger {
    /// Keeps the period and cohort reports over `spec` (scope:
    /// everything) up to date from now on: [`LiveLedger::period_report`]
    /// and [`LiveLedger::cohort_report`] read them at once, and every
    /// update costs the events of the prospects it touches. Tracking a
    /// spec already tracked does nothing.
    pub fn track_periods(&mut self, spec: PeriodSpec) {
        if self.tracked.iter().any(|t| *t.spec() == spec) {
            return;
        }
        self.tracked.push(Tracked::new(spec));
        for c in 0..self.clusters.len() as u32 {
            self.refresh_reports(c);
        }
    }

    pub(super) fn tracked_for(&self, spec: &PeriodSpec) -> Result<&Tracked> {
        self.tracked
            .iter()
            .find(|t| t.spec() == spec)
            .ok_or_else(|| Error::InvalidArgument {
                what: "period spec".to_owned(),
                reason: "not tracked by this live ledger (call track_periods first)".to_owned(),
            })
    }

    pub(super) fn record_id_of(&self, record: u32) -> &str {
        self.record(record).map_or("", |_| self.records.id(record))
    }

    pub(super) fn rep_id_of(&self, rep: u32) -> &str {
        self.reps
            .get(rep as usize)
            .and_then(Option::as_ref)
            .map_or("", |r| r.rep_id.as_str())
    }

    /// The period report over a tracked `spec`, scope everything: equal to
    /// `classify(&live.to_ledger()?, config).period_report(&Scope::all(),
    /// spec)`, without rebuilding anything.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when `spec` is not tracked
    /// ([`LiveLedger::track_periods`]).
    pub fn period_report(&self, spec: &PeriodSpec) -> Result<PeriodReport> {
        let tracked = self.tracked_for(spec)?;
        Ok(tracked
            .periods
            .report(|r| self.rep_id_of(r), &self.currencies))
    }

    /// The cohort report over a tracked `spec`, scope everything: equal to
    /// the batch `cohort_report(&Scope::all(), spec)` on
    /// [`LiveLedger::to_ledger`].
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when `spec` is not tracked.
    pub fn cohort_report(&self, spec: &PeriodSpec) -> Result<CohortReport> {
        let tracked = self.tracked_for(spec)?;
        Ok(tracked.cohorts.report(|r| self.rep_id_of(r)))
    }

    /// Keeps every engagement for the survival curves from now on
    /// ([`LiveLedger::time_to_win`], [`LiveLedger::time_to_first_meeting`]).
    pub fn track_survival(&mut self) {
        if self.survival.is_some() {
            return;
        }
        let mut s = Survival::default();
        for c in &self.clusters {
            for e in &c.events {
                s.count_time(e.time_us, 1);
            }
        }
        self.survival = Some(s);
        for c in 0..self.clusters.len() as u32 {
            self.refresh_reports(c);
        }
    }

    /// Kaplan–Meier curve of days from engagement start to the win, scope
    /// everything, censored at `as_of` (default: the latest event time):
    /// equal to the batch `time_to_win(&Scope::all(), as_of)` on
    /// [`LiveLedger::to_ledger`]. Reads the kept engagements, so a query
    /// costs their number, not the ledger's events.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] unless [`LiveLedger::track_survival`] was
    /// called.
    pub fn time_to_win(
        &self,
        as_of: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<SurvivalCurve> {
        Ok(self.survival()?.curve(Milestone::Win, as_of))
    }

    /// As [`LiveLedger::time_to_win`], to the first held meeting.
    ///
    /// # Errors
    /// As [`LiveLedger::time_to_win`].
    pub fn time_to_first_meeting(
        &self,
        as_of: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<SurvivalCurve> {
        Ok(self.survival()?.curve(Milestone::FirstMeeting, as_of))
    }

    pub(super) fn survival(&self) -> Result<&Survival> {
        self.survival
            .as_ref()
            .ok_or_else(|| Error::InvalidArgument {
                what: "survival curve".to_owned(),
                reason: "not tracked by this live ledger (call track_survival first)".to_owned(),
            })
    }

    /// Whether survival curves are kept (for snapshots).
    pub(super) fn tracks_survival(&self) -> bool {
        self.survival.is_some()
    }

    /// The specs of the reports kept up to date.
    pub(super) fn tracked_periods(&self) -> impl Iterator<Item = &PeriodSpec> + '_ {
        self.tracked.iter().map(Tracked::spec)
    }

    /// A prospect's events as the period report reads them.
    pub(super) fn facts(&self, cluster: u32) -> impl Iterator<Item = (i64, u32, Fact<'_>)> + '_ {
        let events = self.cluster(cluster).map_or(&[][..], |c| &c.events[..]);
        events.iter().filter_map(move |e| {
            let fact = match e.kind {
                EventKind::Contact => {
                    let s = self.events.contacts.get(e.slot)?;
                    let class = self.states.get(e.slot as usize).copied().flatten()?.class;
                    (
                        s.rep,
                        Fact::Contact {
                            class,
                            channel: s.row.channel,
                            duration_s: s.row.duration_s(),
                        },
                    )
                }
                EventKind::Meeting => {
                    let s = self.events.meetings.get(e.slot)?;
                    (s.rep, Fact::Meeting(s.row.status))
                }
                EventKind::Sale => {
                    let s = self.events.sales.get(e.slot)?;
                    (
                        s.rep,
                        Fact::Sale {
                            amount_minor: s.row.amount_minor,
                            currency: s.row.currency_code(),
                        },
                    )
                }
            };
            Some((e.time_us, fact.0, fact.1))
        })
    }

    /// Recomputes a prospect's part of every tracked report.
    pub(super) fn refresh_reports(&mut self, cluster: u32) {
        if self.tracked.is_empty() && self.survival.is_none() {
            return;
        }
        let events = self.cluster(cluster).map_or(&[][..], |c| &c.events[..]);
        let engagements = order::engagements_of(
            &self.events,
            events,
            self.config.newness,
            self.dormancy_us,
            cluster,
            |_| {},
        );
        let parts: Vec<_> = self
            .tracked
            .iter()
            .map(|t| {
                (
                    t.periods.part_of(self.facts(cluster)),
                    t.cohorts.part_of(&engagements),
                )
            })
            .collect();
        for (tracked, (periods, cohorts)) in self.tracked.iter_mut().zip(parts) {
            tracked.periods.set_part(cluster, periods);
            tracked.cohorts.set_part(cluster, cohorts);
        }
        if let Some(s) = &mut self.survival {
            s.set_part(cluster, engagements);
        }
    }

    /// Counts a sale's currency in or out (`by` is 1 or -1).
    pub(super) fn count_currency(&mut self, kind: EventKind, slot: u32, by: i64) {
        if kind != EventKind::Sale {
            return;
        }
        let Some(s) = self.events.sales.get(slot) else {
            return;
        };
        let code = s.row.currency_code();
        match self.currencies.get_mut(code) {
            Some(n) => {
                *n = n.saturating_add_signed(by);
                if *n == 0 {
                    self.currencies.remove(code);
                }
            }
            None if by > 0 => {
                self.currencies.insert(code.to_owned(), by.unsigned_abs());
            }
            None => {}
        }
    }
}
