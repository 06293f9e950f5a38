//! Plain record types of SPEC §2: reps, prospect records, contacts,
//! meetings and sales, their enumerations, money and id newtypes.
//!
//! These are the types a caller builds in Rust (or receives from JSON); the
//! [`Ledger`](crate::Ledger) validates them and interns their ids. Numbers
//! are signed so that a negative amount can be represented and *rejected*
//! with a clear reason rather than failing to construct.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

macro_rules! id_newtype {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Wraps an id. Ids are opaque; an empty id is representable but is
            /// rejected by validation (`missing_field`).
            pub fn new(id: impl Into<String>) -> Self {
                Self(id.into())
            }

            /// The id as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// Unwraps the id into its `String`.
            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                Self(s.to_owned())
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> Self {
                Self(s)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

id_newtype!(
    /// Identifier of a sales rep (`rep_id`).
    RepId
);
id_newtype!(
    /// Identifier of a team (`team_id`).
    TeamId
);
id_newtype!(
    /// Identifier of one prospect *record* (the `prospect_id` column of
    /// SPEC §2's files). Several records may denote one prospect; see
    /// SPEC §4.
    ProspectRecordId
);
id_newtype!(
    /// Identifier of one prospect: a cluster of prospect records (SPEC §4),
    /// named by its smallest record id or by a supplied partition's
    /// `cluster_id`. Never interchangeable with a [`ProspectRecordId`].
    ProspectId
);
id_newtype!(
    /// Identifier of a contact (`contact_id`).
    ContactId
);
id_newtype!(
    /// Identifier of a meeting (`meeting_id`).
    MeetingId
);
id_newtype!(
    /// Identifier of a sale (`sale_id`).
    SaleId
);

/// Error of parsing an enumeration value that is not one of the listed ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownEnum {
    /// The enumeration's name, for example `channel`.
    pub kind: &'static str,
    /// The value that was given.
    pub value: String,
}

impl fmt::Display for UnknownEnum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown {} value {:?}", self.kind, self.value)
    }
}

impl std::error::Error for UnknownEnum {}

macro_rules! text_enum {
    (
        $(#[$doc:meta])* $name:ident, $kind:literal,
        default = $default:ident,
        { $( $(#[$vdoc:meta])* $variant:ident = $text:literal ),+ $(,)? }
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $( $(#[$vdoc])* $variant, )+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The canonical text form (SPEC §2).
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }

            /// Parses the text form, ignoring ASCII case (SPEC §3).
            pub fn parse_text(s: &str) -> Option<Self> {
                $(
                    if s.eq_ignore_ascii_case($text) {
                        return Some($name::$variant);
                    }
                )+
                None
            }

            /// A dense index in `0..ALL.len()`, for array-indexed tallies.
            pub const fn index(self) -> usize {
                self as usize
            }
        }

        impl Default for $name {
            fn default() -> Self {
                $name::$default
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = UnknownEnum;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse_text(s).ok_or_else(|| UnknownEnum { kind: $kind, value: s.to_owned() })
            }
        }
    };
}

text_enum!(
    /// How a contact was made.
    Channel, "channel", default = Other, {
        /// A phone call.
        Phone = "phone",
        /// An e-mail.
        Email = "email",
        /// Face to face.
        InPerson = "in_person",
        /// Chat, social networks, web forms.
        Internet = "internet",
        /// Anything else.
        Other = "other",
    }
);

text_enum!(
    /// Where a prospect record came from.
    Source, "source", default = Other, {
        /// Recommended by someone.
        Referral = "referral",
        /// A purchased or compiled cold list.
        ColdList = "cold_list",
        /// The prospect reached out.
        Inbound = "inbound",
        /// Met at an event.
        Event = "event",
        /// Already a customer.
        ExistingCustomer = "existing_customer",
        /// Anything else.
        Other = "other",
    }
);

text_enum!(
    /// What a contact achieved, as logged by the rep.
    Outcome, "outcome", default = Other, {
        /// Nobody answered.
        NoAnswer = "no_answer",
        /// A conversation took place.
        Conversation = "conversation",
        /// A meeting was booked.
        MeetingBooked = "meeting_booked",
        /// The prospect declined.
        NotInterested = "not_interested",
        /// Anything else.
        Other = "other",
    }
);

text_enum!(
    /// Who started a contact. Absent means outbound (SPEC §3).
    Direction, "direction", default = Outbound, {
        /// The rep reached out.
        Outbound = "outbound",
        /// The prospect reached out.
        Inbound = "inbound",
    }
);

text_enum!(
    /// What happened to a scheduled meeting. Absent means held (SPEC §3).
    MeetingStatus, "status", default = Held, {
        /// The meeting took place.
        Held = "held",
        /// The prospect did not come.
        NoShow = "no_show",
        /// The meeting was cancelled.
        Cancelled = "cancelled",
    }
);

/// An amount of money in integer minor units (cents, bani) of a currency.
///
/// Never a float: sums are exact.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Money {
    /// Amount in minor units.
    pub amount_minor: i64,
    /// ISO 4217 code as given (empty when the record gave none).
    pub currency: String,
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount_minor, self.currency)
    }
}

/// A sales rep.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Rep {
    /// Required, unique.
    pub rep_id: RepId,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The rep's team.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team_id: Option<TeamId>,
    /// Contacts per day the rep is asked to log (must be ≥ 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub daily_contact_target: Option<i64>,
}

impl Rep {
    /// A rep with only an id.
    pub fn new(rep_id: impl Into<RepId>) -> Self {
        Self {
            rep_id: rep_id.into(),
            ..Self::default()
        }
    }
}

/// One prospect record as entered in a CRM. Several records may denote the
/// same person (SPEC §4); deduplication groups them into prospects.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ProspectRecord {
    /// Required, unique.
    pub prospect_id: ProspectRecordId,
    /// Person's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Company name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company: Option<String>,
    /// E-mail address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Phone number, any format.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// City.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// ISO 3166 alpha-2 country code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// Where the record came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,
    /// When the record was created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<DateTime<Utc>>,
    /// The rep who created it (must name an accepted rep when present).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<RepId>,
}

impl ProspectRecord {
    /// A record with only an id.
    pub fn new(prospect_id: impl Into<ProspectRecordId>) -> Self {
        Self {
            prospect_id: prospect_id.into(),
            ..Self::default()
        }
    }
}

/// One logged contact (call, e-mail, visit, …) of a rep with a prospect.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    /// Required, unique.
    pub contact_id: ContactId,
    /// Required: who made the contact.
    pub rep_id: RepId,
    /// Required: the prospect record contacted.
    pub prospect_id: ProspectRecordId,
    /// Required: when it happened (the contact's time everywhere).
    pub occurred_at: DateTime<Utc>,
    /// When it was entered (must not be before `occurred_at`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logged_at: Option<DateTime<Utc>>,
    /// Required: how.
    pub channel: Channel,
    /// Who started it; outbound by default.
    #[serde(default)]
    pub direction: Direction,
    /// Length in seconds (must be ≥ 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_s: Option<i64>,
    /// What it achieved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Outcome>,
}

impl Contact {
    /// A contact with the required fields; the rest absent or default.
    pub fn new(
        contact_id: impl Into<ContactId>,
        rep_id: impl Into<RepId>,
        prospect_id: impl Into<ProspectRecordId>,
        occurred_at: DateTime<Utc>,
        channel: Channel,
    ) -> Self {
        Self {
            contact_id: contact_id.into(),
            rep_id: rep_id.into(),
            prospect_id: prospect_id.into(),
            occurred_at,
            logged_at: None,
            channel,
            direction: Direction::Outbound,
            duration_s: None,
            outcome: None,
        }
    }
}

/// A meeting of a rep with a prospect.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Meeting {
    /// Required, unique.
    pub meeting_id: MeetingId,
    /// Required: who held it.
    pub rep_id: RepId,
    /// Required: with which prospect record.
    pub prospect_id: ProspectRecordId,
    /// Required: when.
    pub held_at: DateTime<Utc>,
    /// Held by default.
    #[serde(default)]
    pub status: MeetingStatus,
}

impl Meeting {
    /// A held meeting.
    pub fn new(
        meeting_id: impl Into<MeetingId>,
        rep_id: impl Into<RepId>,
        prospect_id: impl Into<ProspectRecordId>,
        held_at: DateTime<Utc>,
    ) -> Self {
        Self {
            meeting_id: meeting_id.into(),
            rep_id: rep_id.into(),
            prospect_id: prospect_id.into(),
            held_at,
            status: MeetingStatus::Held,
        }
    }
}

/// A closed sale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sale {
    /// Required, unique.
    pub sale_id: SaleId,
    /// Required: who closed it.
    pub rep_id: RepId,
    /// Required: to which prospect record.
    pub prospect_id: ProspectRecordId,
    /// Required: when.
    pub closed_at: DateTime<Utc>,
    /// Amount in minor units (must be ≥ 0). A sale without an amount still
    /// counts as a sale and adds nothing to revenue.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount_minor: Option<i64>,
    /// ISO 4217 currency code of the amount.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
}

impl Sale {
    /// A sale without an amount.
    pub fn new(
        sale_id: impl Into<SaleId>,
        rep_id: impl Into<RepId>,
        prospect_id: impl Into<ProspectRecordId>,
        closed_at: DateTime<Utc>,
    ) -> Self {
        Self {
            sale_id: sale_id.into(),
            rep_id: rep_id.into(),
            prospect_id: prospect_id.into(),
            closed_at,
            amount_minor: None,
            currency: None,
        }
    }

    /// The amount as [`Money`], when the sale has one (currency empty if
    /// none was given).
    pub fn amount(&self) -> Option<Money> {
        self.amount_minor.map(|amount_minor| Money {
            amount_minor,
            currency: self.currency.clone().unwrap_or_default(),
        })
    }
}

/// The kind of an event of a prospect's history, in SPEC §5 rank order
/// (contact 0, meeting 1, sale 2): at equal times a contact comes before a
/// meeting, a meeting before a sale.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
#[repr(u8)]
pub enum EventKind {
    /// A contact (the only kind that gets a class).
    // `Default` only fills the unused inline room of the live ledger's
    // event lists; no stored event takes it.
    #[default]
    Contact = 0,
    /// A meeting.
    Meeting = 1,
    /// A sale.
    Sale = 2,
}

/// The kind of an input record, as named in rejections (SPEC §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordKind {
    /// A [`Rep`].
    Rep,
    /// A [`ProspectRecord`].
    Prospect,
    /// A [`Contact`].
    Contact,
    /// A [`Meeting`].
    Meeting,
    /// A [`Sale`].
    Sale,
}

impl RecordKind {
    /// Every kind in load order (references resolve from earlier kinds).
    pub const ALL: [RecordKind; 5] = [
        RecordKind::Rep,
        RecordKind::Prospect,
        RecordKind::Contact,
        RecordKind::Meeting,
        RecordKind::Sale,
    ];

    /// The name used in rejections: `rep`, `prospect`, `contact`, `meeting`, `sale`.
    pub const fn as_str(self) -> &'static str {
        match self {
            RecordKind::Rep => "rep",
            RecordKind::Prospect => "prospect",
            RecordKind::Contact => "contact",
            RecordKind::Meeting => "meeting",
            RecordKind::Sale => "sale",
        }
    }

    /// The canonical file name of this kind in a SPEC §2 folder.
    pub const fn file_name(self) -> &'static str {
        match self {
            RecordKind::Rep => "reps.csv",
            RecordKind::Prospect => "prospects.csv",
            RecordKind::Contact => "contacts.csv",
            RecordKind::Meeting => "meetings.csv",
            RecordKind::Sale => "sales.csv",
        }
    }

    /// The name of the id field of this kind.
    pub const fn id_field(self) -> &'static str {
        match self {
            RecordKind::Rep => "rep_id",
            RecordKind::Prospect => "prospect_id",
            RecordKind::Contact => "contact_id",
            RecordKind::Meeting => "meeting_id",
            RecordKind::Sale => "sale_id",
        }
    }

    /// Event kind rank used to order events at the same instant (SPEC §5):
    /// contact 0, meeting 1, sale 2; `None` for kinds that are not events.
    pub const fn event_rank(self) -> Option<u8> {
        match self {
            RecordKind::Contact => Some(0),
            RecordKind::Meeting => Some(1),
            RecordKind::Sale => Some(2),
            RecordKind::Rep | RecordKind::Prospect => None,
        }
    }
}

impl fmt::Display for RecordKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enums_parse_ignoring_ascii_case_only() {
        assert_eq!(Channel::parse_text("IN_PERSON"), Some(Channel::InPerson));
        assert_eq!(Channel::parse_text(" phone"), None);
        assert_eq!(
            "No_Show".parse::<MeetingStatus>(),
            Ok(MeetingStatus::NoShow)
        );
        assert!("x".parse::<Source>().is_err());
        for c in Channel::ALL {
            assert_eq!(Channel::parse_text(c.as_str()), Some(*c));
        }
    }

    #[test]
    fn enum_serde_uses_snake_case() -> Result<(), serde_json::Error> {
        assert_eq!(serde_json::to_string(&Source::ColdList)?, "\"cold_list\"");
        let s: Source = serde_json::from_str("\"existing_customer\"")?;
        assert_eq!(s, Source::ExistingCustomer);
        Ok(())
    }
}

/// A bundle of plain records of every kind: what a SPEC §2 folder or JSON
/// document holds.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Records {
    /// Reps.
    #[serde(default)]
    pub reps: Vec<Rep>,
    /// Prospect records.
    #[serde(default)]
    pub prospects: Vec<ProspectRecord>,
    /// Contacts.
    #[serde(default)]
    pub contacts: Vec<Contact>,
    /// Meetings.
    #[serde(default)]
    pub meetings: Vec<Meeting>,
    /// Sales.
    #[serde(default)]
    pub sales: Vec<Sale>,
}
