//! What an update returns: the class and context of a contact at entry,
//! the prospect a record joined, and the contacts whose class changed.

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use crate::classify::ContactClass;
use crate::dedup::IndexMatch;
use crate::model::{Contact, ContactId, ProspectId};

/// A contact whose class or engagement an update changed (an earlier
/// arrival, a correction, a deletion, a merge or a split can change the
/// contacts that come after it). The engagement is named by the id of the
/// contact that started it; `None` is no engagement (a customer contact).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClassChange {
    /// The contact.
    pub contact_id: ContactId,
    /// Its class before the update.
    pub from: ContactClass,
    /// Its class after.
    pub to: ContactClass,
    /// Its engagement before the update.
    pub from_engagement: Option<ContactId>,
    /// Its engagement after.
    pub to_engagement: Option<ContactId>,
}

/// What a CRM shows when a contact is saved: its class, and the context
/// behind it.
///
/// ```
/// # use chrono::{TimeDelta, TimeZone, Utc};
/// # use sales_metrics::live::LiveLedger;
/// # use sales_metrics::{Channel, ClassifyConfig, Contact, ContactClass, ProspectRecord, Rep};
/// let t = Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap();
/// let mut live = LiveLedger::new(ClassifyConfig::default());
/// live.add_rep(&Rep::new("bogdan"))?;
/// live.add_prospect(&ProspectRecord::new("p123"))?;
/// live.add_contact(&Contact::new("c1", "bogdan", "p123", t, Channel::Phone))?;
/// let later = t + TimeDelta::days(12);
/// let entry = live.add_contact(&Contact::new("c2", "bogdan", "p123", later, Channel::Email))?;
/// assert_eq!(entry.class, ContactClass::FollowUp);
/// assert_eq!(entry.touches, 2);
/// assert_eq!(entry.since_last_touch, Some(TimeDelta::days(12)));
/// assert_eq!(entry.to_string(), "follow_up: touch 2 of the engagement started 2026-03-02 09:00 UTC; \
///     last touched 12 days ago by bogdan by phone");
/// # Ok::<(), sales_metrics::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactEntry {
    /// The contact's class.
    pub class: ContactClass,
    /// Its prospect (cluster).
    pub prospect_id: ProspectId,
    /// The contact that started its engagement (itself for `new` and
    /// `reactivated`); `None` for a customer contact.
    pub engagement: Option<ContactId>,
    /// When that engagement started.
    pub engagement_started: Option<DateTime<Utc>>,
    /// Contacts of the engagement up to and including this one (0 for a
    /// customer contact).
    pub touches: u32,
    /// The prospect's contact just before this one, by any rep (who,
    /// when, how).
    pub last_touch: Option<Contact>,
    /// Time since that contact.
    pub since_last_touch: Option<TimeDelta>,
    /// For a customer contact: when the prospect's first sale closed.
    pub customer_since: Option<DateTime<Utc>>,
    /// Other contacts whose class or engagement changed (when this one
    /// arrived out of order).
    pub changes: Vec<ClassChange>,
}

impl std::fmt::Display for ContactEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.class)?;
        if let Some(since) = self.customer_since {
            write!(f, ": customer since {}", since.format("%Y-%m-%d"))?;
        } else if let Some(start) = self.engagement_started {
            write!(
                f,
                ": touch {} of the engagement started {}",
                self.touches,
                start.format("%Y-%m-%d %H:%M UTC")
            )?;
        }
        if let (Some(last), Some(since)) = (&self.last_touch, self.since_last_touch) {
            write!(
                f,
                "; last touched {} ago by {} by {}",
                human_span(since),
                last.rep_id,
                last.channel
            )?;
        }
        Ok(())
    }
}

/// A span as a CRM says it: days, else hours, else minutes.
fn human_span(d: TimeDelta) -> String {
    let plural = |n: i64, unit: &str| format!("{n} {unit}{}", if n == 1 { "" } else { "s" });
    if d.num_days() >= 1 {
        plural(d.num_days(), "day")
    } else if d.num_hours() >= 1 {
        plural(d.num_hours(), "hour")
    } else {
        plural(d.num_minutes().max(0), "minute")
    }
}

/// What a CRM shows when a prospect record is saved: the prospect it
/// joined, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct ProspectEntry {
    /// The prospect (cluster) the record belongs to now.
    pub prospect_id: ProspectId,
    /// Whether the record is a prospect of its own (it joined no other).
    pub new_prospect: bool,
    /// The known records deduplication at entry matched, strongest first,
    /// with the evidence (empty without deduplication at entry).
    pub matches: Vec<IndexMatch>,
    /// Contacts whose class or engagement changed because the record
    /// joined prospects together.
    pub changes: Vec<ClassChange>,
}
