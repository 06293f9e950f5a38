//! Writes SPEC §2 records as a Salesforce export (Data Export service
//! style: one CSV per object, API field names as headers), shared by the
//! `export_salesforce` example and the import bench. What the format
//! cannot carry: meetings that were not held (not written), a rep's
//! daily target, the `existing_customer` source (written as `Other`),
//! a sale's time of day (its CloseDate is a date).

#![allow(unreachable_pub, dead_code)]

use std::path::Path;

use chrono::{DateTime, Utc};
use sales_metrics::{Channel, Direction, MeetingStatus, Outcome, Records, Source};

/// An instant as Salesforce tools write it.
pub fn sf_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3f+0000").to_string()
}

fn split_name(name: Option<&str>) -> (&str, &str) {
    match name {
        None => ("", ""),
        Some(n) => n.split_once(' ').unwrap_or(("", n)),
    }
}

fn source(s: Option<Source>) -> &'static str {
    match s {
        None => "",
        Some(Source::Referral) => "Partner Referral",
        Some(Source::ColdList) => "Purchased List",
        Some(Source::Inbound) => "Web",
        Some(Source::Event) => "Trade Show",
        Some(Source::ExistingCustomer | Source::Other) => "Other",
    }
}

/// (TaskSubtype, Type) of a channel.
fn channel(c: Channel) -> (&'static str, &'static str) {
    match c {
        Channel::Phone => ("Call", "Call"),
        Channel::Email => ("Email", "Email"),
        Channel::Internet => ("LinkedIn", ""),
        Channel::InPerson => ("Task", "Meeting"),
        Channel::Other => ("Task", ""),
    }
}

fn disposition(o: Option<Outcome>) -> &'static str {
    match o {
        None => "",
        Some(Outcome::NoAnswer) => "No answer",
        Some(Outcome::Conversation) => "Connected",
        Some(Outcome::MeetingBooked) => "Meeting booked",
        Some(Outcome::NotInterested) => "Not interested",
        Some(Outcome::Other) => "Wrong number",
    }
}

/// Minor units as a decimal in major units (ISO 4217 exponent).
pub fn decimal(minor: i64, currency: Option<&str>) -> String {
    let exponent = match currency.unwrap_or("") {
        "BIF" | "CLP" | "DJF" | "GNF" | "ISK" | "JPY" | "KMF" | "KRW" | "PYG" | "RWF" | "UGX"
        | "UYI" | "VND" | "VUV" | "XAF" | "XOF" | "XPF" => 0,
        "BHD" | "IQD" | "JOD" | "KWD" | "LYD" | "OMR" | "TND" => 3,
        "CLF" | "UYW" => 4,
        _ => 2,
    };
    if exponent == 0 {
        return minor.to_string();
    }
    let scale = 10i64.pow(exponent);
    format!(
        "{}.{:0width$}",
        minor / scale,
        minor % scale,
        width = exponent as usize
    )
}

/// Writes `records` into `dir` as `User.csv`, `Lead.csv`, `Task.csv`,
/// `Event.csv` and `Opportunity.csv`.
pub fn write_salesforce(records: &Records, dir: &Path) -> Result<(), Box<dyn std::error::Error>> {
    std::fs::create_dir_all(dir)?;
    let mut w = csv::Writer::from_path(dir.join("User.csv"))?;
    w.write_record([
        "Id",
        "Name",
        "FirstName",
        "LastName",
        "UserRoleId",
        "CreatedDate",
    ])?;
    for r in &records.reps {
        let (first, last) = split_name(r.name.as_deref());
        let team = r.team_id.as_ref().map_or("", |t| t.as_str());
        let name = r.name.as_deref().unwrap_or("");
        w.write_record([r.rep_id.as_str(), name, first, last, team, ""])?;
    }
    w.flush()?;

    let mut w = csv::Writer::from_path(dir.join("Lead.csv"))?;
    w.write_record([
        "Id",
        "FirstName",
        "LastName",
        "Company",
        "Email",
        "Phone",
        "City",
        "CountryCode",
        "LeadSource",
        "CreatedDate",
        "CreatedById",
        "IsDeleted",
        "IsConverted",
        "ConvertedContactId",
    ])?;
    for p in &records.prospects {
        let (first, last) = split_name(p.name.as_deref());
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        w.write_record([
            p.prospect_id.as_str().to_owned(),
            first.to_owned(),
            last.to_owned(),
            text(&p.company),
            text(&p.email),
            text(&p.phone),
            text(&p.city),
            text(&p.country),
            source(p.source).to_owned(),
            p.created_at.map(sf_time).unwrap_or_default(),
            p.created_by
                .as_ref()
                .map(|b| b.as_str().to_owned())
                .unwrap_or_default(),
            "false".to_owned(),
            "false".to_owned(),
            String::new(),
        ])?;
    }
    w.flush()?;

    let mut w = csv::Writer::from_path(dir.join("Task.csv"))?;
    w.write_record([
        "Id",
        "OwnerId",
        "WhoId",
        "Subject",
        "Status",
        "TaskSubtype",
        "Type",
        "CallType",
        "CallDurationInSeconds",
        "CallDisposition",
        "ActivityDate",
        "CompletedDateTime",
        "CreatedDate",
        "IsDeleted",
        "IsClosed",
    ])?;
    for c in &records.contacts {
        let (subtype, kind) = channel(c.channel);
        let call_type = match c.direction {
            Direction::Inbound => "Inbound",
            Direction::Outbound => "Outbound",
        };
        w.write_record([
            c.contact_id.as_str().to_owned(),
            c.rep_id.as_str().to_owned(),
            c.prospect_id.as_str().to_owned(),
            "Touch".to_owned(),
            "Completed".to_owned(),
            subtype.to_owned(),
            kind.to_owned(),
            call_type.to_owned(),
            c.duration_s.map(|d| d.to_string()).unwrap_or_default(),
            disposition(c.outcome).to_owned(),
            c.occurred_at.format("%Y-%m-%d").to_string(),
            sf_time(c.occurred_at),
            sf_time(c.logged_at.unwrap_or(c.occurred_at)),
            "false".to_owned(),
            "true".to_owned(),
        ])?;
    }
    w.flush()?;

    let mut w = csv::Writer::from_path(dir.join("Event.csv"))?;
    w.write_record([
        "Id",
        "OwnerId",
        "WhoId",
        "StartDateTime",
        "CreatedDate",
        "IsDeleted",
    ])?;
    for m in records
        .meetings
        .iter()
        .filter(|m| m.status == MeetingStatus::Held)
    {
        let held = sf_time(m.held_at);
        w.write_record([
            m.meeting_id.as_str(),
            m.rep_id.as_str(),
            m.prospect_id.as_str(),
            &held,
            &held,
            "false",
        ])?;
    }
    w.flush()?;

    let mut w = csv::Writer::from_path(dir.join("Opportunity.csv"))?;
    w.write_record([
        "Id",
        "OwnerId",
        "ContactId",
        "IsWon",
        "IsClosed",
        "StageName",
        "CloseDate",
        "Amount",
        "CurrencyIsoCode",
        "CreatedDate",
        "IsDeleted",
    ])?;
    for s in &records.sales {
        let currency = s.currency.as_deref();
        w.write_record([
            s.sale_id.as_str().to_owned(),
            s.rep_id.as_str().to_owned(),
            s.prospect_id.as_str().to_owned(),
            "true".to_owned(),
            "true".to_owned(),
            "Closed Won".to_owned(),
            s.closed_at.format("%Y-%m-%d").to_string(),
            s.amount_minor
                .map(|a| decimal(a, currency))
                .unwrap_or_default(),
            currency.unwrap_or("").to_owned(),
            sf_time(s.closed_at),
            "false".to_owned(),
        ])?;
    }
    w.flush()?;
    Ok(())
}
