//! The JSON backup (API.md "Labels, export and import"): [`export`] writes the document,
//! [`plan`] compares one with the schedules there are and says what importing it changes, as
//! [`Step`]s to apply and a [`Report`] to show first. Pure: `GET /api/export`, `POST /api/import`
//! and `chrontainer export|import` do the reading and writing.
//!
//! Schedules are named by host and container (never by ID), so a backup restores onto a rebuilt
//! machine. A schedule is the same one when host, container, action and timetable (cron or
//! run_at) match; its zone, note and on/off are what an import updates. Label schedules travel
//! with their containers' labels: they are written to the file for the record and skipped when
//! read back.

use std::collections::HashSet;

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::cron::{parse_timezone, CronExpr};
use crate::domain::{Action, ChainStep, HostId, OnlyIf, ScheduleId, ScheduleOrigin, Window, WindowJson};
use crate::error::AppError;
use crate::store::channels::ChannelRow;
use crate::store::hosts::HostRow;
use crate::store::{NewSchedule, ScheduleChanges, ScheduleRow};
use crate::time::{rfc3339, to_utc};

pub const FORMAT: &str = "chrontainer";
/// The version this build writes and reads. A newer file is refused, never half read.
pub const VERSION: u64 = 1;
const MAX_NAME: usize = 256;
const MAX_DESCRIPTION: usize = 500;

/// The backup document.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Document {
    /// Always `chrontainer`.
    #[schema(example = "chrontainer")]
    pub format: String,
    /// The document's version; this build reads 1.
    #[schema(example = 1)]
    pub version: u64,
    #[serde(default)]
    #[schema(example = "2026-01-05T03:00:00Z")]
    pub exported_at: Option<String>,
    #[serde(default)]
    pub hosts: Vec<HostEntry>,
    #[serde(default)]
    pub schedules: Vec<ScheduleEntry>,
    /// Notification channels (name and events; their URLs only with `?secrets=true`). Written
    /// for the record: an import does not create channels yet.
    #[serde(default)]
    pub channels: Vec<ChannelEntry>,
}

/// A Docker host by name and URL; its TLS files only in a backup with secrets. An import does not
/// add hosts (they are added on the hosts page, where their connection is checked): a schedule
/// on a host that is not here is skipped with that reason.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HostEntry {
    pub name: String,
    #[schema(example = "unix:///var/run/docker.sock")]
    pub url: String,
    /// PEM texts, only with `?secrets=true`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_ca: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_cert: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_key: Option<String>,
}

/// A notification channel: its URL (which holds its secrets) only with `?secrets=true`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChannelEntry {
    pub name: String,
    #[serde(default)]
    pub events: Vec<String>,
    #[serde(default = "yes")]
    pub enabled: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// One schedule, by host and container name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleEntry {
    #[serde(default = "local")]
    #[schema(value_type = String, example = "local")]
    pub host: HostId,
    pub container: String,
    #[serde(default)]
    pub compose_project: Option<String>,
    #[serde(default)]
    pub compose_service: Option<String>,
    pub action: Action,
    #[serde(default)]
    #[schema(example = "0 3 * * *")]
    pub cron: Option<String>,
    #[serde(default)]
    pub run_at: Option<String>,
    #[schema(example = "Europe/Berlin")]
    pub timezone: String,
    #[serde(default = "yes")]
    pub enabled: bool,
    #[serde(default)]
    pub description: Option<String>,
    /// `label` rows are skipped on import: they come back with their containers' labels.
    #[serde(default)]
    pub origin: ScheduleOrigin,
    /// A chain's steps (API.md `steps`, a stack's too); `null` for one target.
    #[serde(default)]
    pub steps: Option<Vec<ChainStep>>,
    /// A Swarm service target (then `container` is the same name).
    #[serde(default)]
    pub service: Option<String>,
    /// `false`: its runs are never notified.
    #[serde(default = "yes")]
    pub notify: bool,
    /// The guard: the state its container must be in when it fires.
    #[serde(default)]
    pub only_if: Option<OnlyIf>,
    /// `false`: it acts even on a container someone stopped or paused by hand.
    #[serde(default = "yes")]
    pub respect_manual: bool,
    /// A time window (then `cron` is its opening, as the schedule keeps it).
    #[serde(default)]
    pub window: Option<WindowJson>,
}

fn local() -> HostId {
    HostId::local()
}

fn yes() -> bool {
    true
}

/// How an import treats the schedules the file does not name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Keep them.
    Merge,
    /// Remove them (label schedules are never removed by an import).
    Replace,
}

/// A schedule as a report names it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct Item {
    #[schema(value_type = String)]
    pub host: HostId,
    pub container: String,
    pub action: Action,
    pub cron: Option<String>,
    pub run_at: Option<String>,
}

/// A schedule of the file that is not imported, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct Skipped {
    #[serde(flatten)]
    pub item: Item,
    pub reason: String,
}

/// What an import does (or, in a dry run, would do).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct Report {
    pub dry_run: bool,
    pub created: Vec<Item>,
    pub updated: Vec<Item>,
    pub unchanged: Vec<Item>,
    /// With `mode=replace`: the schedules made here that the file does not have.
    pub removed: Vec<Item>,
    pub skipped: Vec<Skipped>,
    /// Schedules of the file that are wrong (a bad cron, zone, …), or that could not be written.
    pub errors: Vec<Skipped>,
}

/// One write of an import.
#[derive(Clone, Debug)]
pub enum Step {
    Create(Item, NewSchedule),
    Update(Item, ScheduleId, ScheduleChanges),
    Delete(Item, ScheduleId),
}

impl Report {
    /// A write that failed moves from where the plan put it to `errors`.
    pub fn failed(&mut self, step: &Step, error: &AppError) {
        let (item, list) = match step {
            Step::Create(item, _) => (item, &mut self.created),
            Step::Update(item, ..) => (item, &mut self.updated),
            Step::Delete(item, _) => (item, &mut self.removed),
        };
        list.retain(|i| i != item);
        self.errors.push(Skipped { item: item.clone(), reason: error.to_string() });
    }
}

/// The document of every schedule in `rows`, with `hosts` and `channels` (their secrets only
/// when `secrets`).
pub fn export(
    rows: &[ScheduleRow],
    hosts: &[HostRow],
    channels: &[ChannelRow],
    secrets: bool,
    now: DateTime<Utc>,
) -> Document {
    let secret = |text: &Option<String>| text.clone().filter(|_| secrets);
    Document {
        format: FORMAT.into(),
        version: VERSION,
        exported_at: Some(rfc3339(&now)),
        hosts: hosts
            .iter()
            .map(|h| HostEntry {
                name: h.name.to_string(),
                url: h.url.clone(),
                tls_ca: secret(&h.tls_ca),
                tls_cert: secret(&h.tls_cert),
                tls_key: secret(&h.tls_key),
            })
            .collect(),
        schedules: rows.iter().map(entry_of).collect(),
        channels: channels
            .iter()
            .map(|c| ChannelEntry {
                name: c.name.clone(),
                events: c.events(),
                enabled: c.enabled,
                url: secrets.then(|| c.url.clone()),
            })
            .collect(),
    }
}

fn entry_of(r: &ScheduleRow) -> ScheduleEntry {
    ScheduleEntry {
        host: r.host.clone(),
        container: r.container_name.clone(),
        compose_project: r.compose_project.clone(),
        compose_service: r.compose_service.clone(),
        action: r.action,
        cron: r.cron_expression.clone(),
        run_at: r.run_at.map(|t| rfc3339(&to_utc(t))),
        timezone: r.timezone.clone(),
        enabled: r.enabled,
        description: r.description.clone(),
        origin: r.origin,
        steps: r.chain(),
        service: r.service.clone(),
        notify: r.notify,
        only_if: r.only_if,
        respect_manual: r.respect_manual,
        window: r.time_window.as_ref().map(|w| w.to_json(&r.timezone)),
    }
}

/// Reads a document, refusing another format or a version this build does not know before
/// anything else is read (a newer file is never half understood).
pub fn read(value: serde_json::Value) -> Result<Document, AppError> {
    let format = value.get("format").and_then(|f| f.as_str());
    if format != Some(FORMAT) {
        return Err(AppError::invalid(
            "invalid_parameter",
            Some("format"),
            "format: this is not a Chrontainer backup (its \"format\" is not \"chrontainer\")",
        ));
    }
    match value.get("version").and_then(|v| v.as_u64()) {
        Some(VERSION) => {}
        other => {
            let found = other.map_or_else(|| "missing".to_string(), |v| v.to_string());
            return Err(AppError::invalid(
                "unsupported_version",
                Some("version"),
                format!("version: this backup is version {found}; this Chrontainer reads version {VERSION}"),
            ));
        }
    }
    serde_json::from_value(value)
        .map_err(|e| AppError::invalid("invalid_json", None, format!("The backup cannot be read: {e}")))
}

/// A schedule's identity: the same host, container, action and timetable.
fn same(r: &ScheduleRow, new: &NewSchedule) -> bool {
    r.host == new.host
        && r.container_name == new.container_name
        && r.action == new.action
        && r.cron_expression == new.cron_expression
        && r.run_at == new.run_at
        && r.steps == new.steps
        && r.service == new.service
        && r.time_window == new.time_window
}

/// What importing `doc` into `existing` does. `hosts` are the hosts there are here.
pub fn plan(
    doc: &Document,
    existing: &[ScheduleRow],
    hosts: &[HostId],
    mode: Mode,
    now: DateTime<Utc>,
) -> (Vec<Step>, Report) {
    let mut report = Report::default();
    let mut steps = Vec::new();
    let mut matched: HashSet<ScheduleId> = HashSet::new();
    let mut seen: Vec<NewSchedule> = Vec::new();
    for entry in &doc.schedules {
        let item = Item {
            host: entry.host.clone(),
            container: crate::text::clip(&entry.container, 80),
            action: entry.action,
            cron: entry.cron.as_deref().map(|c| crate::text::clip(c, 80)),
            run_at: entry.run_at.as_deref().map(|c| crate::text::clip(c, 40)),
        };
        let skip = |reason: &str| Skipped { item: item.clone(), reason: reason.to_string() };
        if entry.origin == ScheduleOrigin::Label {
            report.skipped.push(skip(
                "it comes from container labels: it comes back with its container's chrontainer.* labels",
            ));
            continue;
        }
        if !hosts.contains(&entry.host) {
            report.skipped.push(skip(&format!(
                "there is no host named {:?} here",
                crate::text::clip(entry.host.as_str(), 40)
            )));
            continue;
        }
        let new = match validate(entry, now) {
            Ok(Some(new)) => new,
            Ok(None) => {
                report.skipped.push(skip("a one-time schedule whose time has passed"));
                continue;
            }
            Err(e) => {
                report.errors.push(skip(&e.to_string()));
                continue;
            }
        };
        if seen.iter().any(|s| same_new(s, &new)) {
            report.skipped.push(skip("the file has this schedule twice"));
            continue;
        }
        seen.push(new.clone());
        match existing.iter().find(|r| r.origin == ScheduleOrigin::Ui && same(r, &new)) {
            Some(row) => {
                matched.insert(row.id);
                match changes_to(row, &new) {
                    Some(changes) => {
                        report.updated.push(item.clone());
                        steps.push(Step::Update(item, row.id, changes));
                    }
                    None => report.unchanged.push(item),
                }
            }
            None => {
                report.created.push(item.clone());
                steps.push(Step::Create(item, new));
            }
        }
    }
    if mode == Mode::Replace {
        for row in existing.iter().filter(|r| r.origin == ScheduleOrigin::Ui && !matched.contains(&r.id)) {
            let item = Item {
                host: row.host.clone(),
                container: row.container_name.clone(),
                action: row.action,
                cron: row.cron_expression.clone(),
                run_at: row.run_at.map(|t| rfc3339(&to_utc(t))),
            };
            report.removed.push(item.clone());
            steps.push(Step::Delete(item, row.id));
        }
    }
    (steps, report)
}

fn same_new(a: &NewSchedule, b: &NewSchedule) -> bool {
    (&a.host, &a.container_name, a.action, &a.cron_expression, a.run_at, &a.steps, &a.service, a.time_window)
        == (
            &b.host,
            &b.container_name,
            b.action,
            &b.cron_expression,
            b.run_at,
            &b.steps,
            &b.service,
            b.time_window,
        )
}

/// The columns of `row` that differ from the file's; `None` when none do.
fn changes_to(row: &ScheduleRow, new: &NewSchedule) -> Option<ScheduleChanges> {
    let mut c = ScheduleChanges::default();
    let mut any = false;
    if row.timezone != new.timezone {
        c.timezone = Some(new.timezone.clone());
        any = true;
    }
    if row.enabled != new.enabled {
        c.enabled = Some(new.enabled);
        any = true;
    }
    if row.notify != new.notify {
        c.notify = Some(new.notify);
        any = true;
    }
    if (row.only_if, row.respect_manual) != (new.only_if, new.respect_manual) {
        c.only_if = Some(new.only_if);
        c.respect_manual = Some(new.respect_manual);
        any = true;
    }
    if row.description != new.description {
        c.description = Some(new.description.clone());
        any = true;
    }
    if (&row.compose_project, &row.compose_service) != (&new.compose_project, &new.compose_service) {
        c.compose_project = Some(new.compose_project.clone());
        c.compose_service = Some(new.compose_service.clone());
        any = true;
    }
    any.then_some(c)
}

/// The row a file's schedule becomes, checked as the API checks one; `None` for a one-time
/// schedule already past.
fn validate(e: &ScheduleEntry, now: DateTime<Utc>) -> Result<Option<NewSchedule>, AppError> {
    let name = e.container.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME || name.chars().any(char::is_control) {
        return Err(AppError::invalid(
            "invalid_parameter",
            Some("container"),
            "container: a container name, 1 to 256 characters",
        ));
    }
    if e.service.as_deref().is_some_and(|s| {
        let s = s.trim();
        s.is_empty() || s.chars().count() > MAX_NAME || s.chars().any(char::is_control)
    }) {
        return Err(AppError::invalid(
            "invalid_parameter",
            Some("service"),
            "service: a Swarm service name, 1 to 256 characters",
        ));
    }
    let timezone = parse_timezone(&e.timezone)?.name().to_string();
    let (cron, run_at): (Option<String>, Option<NaiveDateTime>) = match (&e.cron, &e.run_at) {
        (Some(cron), None) => (Some(CronExpr::parse(cron)?.as_str().to_string()), None),
        (None, Some(at)) => {
            let at = DateTime::parse_from_rfc3339(at.trim())
                .map_err(|_| {
                    AppError::invalid("invalid_run_at", Some("run_at"), "run_at: not an RFC 3339 time")
                })?
                .with_timezone(&Utc);
            if at <= now {
                return Ok(None);
            }
            (None, Some(at.naive_utc()))
        }
        _ => {
            return Err(AppError::invalid(
                "conflicting_fields",
                Some("cron"),
                "a schedule has exactly one of cron (repeating) and run_at (one time)",
            ))
        }
    };
    let description = e.description.as_deref().map(str::trim).filter(|d| !d.is_empty());
    if description.is_some_and(|d| d.chars().count() > MAX_DESCRIPTION) {
        return Err(AppError::invalid(
            "too_long",
            Some("description"),
            "description: at most 500 characters",
        ));
    }
    let steps = match &e.steps {
        Some(steps) if steps.is_empty() || steps.len() > 20 => {
            return Err(AppError::invalid("invalid_steps", Some("steps"), "steps: a chain has 1 to 20 steps"))
        }
        Some(steps) => Some(serde_json::to_string(steps).map_err(|e| AppError::Internal(e.to_string()))?),
        None => None,
    };
    let time_window = match &e.window {
        Some(w) => Some(Window::parse(w.state.as_str(), &w.from, &w.to, w.days.as_deref())?),
        None => None,
    };
    let at = now.naive_utc();
    Ok(Some(NewSchedule {
        host: e.host.clone(),
        container_name: name.to_string(),
        container_id: None,
        compose_project: e.compose_project.clone(),
        compose_service: e.compose_service.clone(),
        action: e.action,
        cron_expression: cron,
        run_at,
        timezone,
        enabled: e.enabled,
        description: description.map(str::to_string),
        created_at: at,
        updated_at: at,
        next_run: None,
        origin: ScheduleOrigin::Ui,
        label_key: None,
        label_spec: None,
        label_hash: None,
        notify: e.notify,
        service: e.service.as_deref().map(str::trim).map(str::to_string),
        only_if: e.only_if,
        respect_manual: e.respect_manual,
        time_window,
        steps,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use serde_json::json;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 5, 3, 0, 0).unwrap()
    }

    fn row(id: i32, container: &str, cron: &str, origin: ScheduleOrigin) -> ScheduleRow {
        let t = now().naive_utc();
        ScheduleRow {
            id: ScheduleId(id),
            host: HostId::local(),
            container_name: container.into(),
            container_id: Some("abc".into()),
            compose_project: None,
            compose_service: None,
            action: Action::Restart,
            cron_expression: Some(cron.into()),
            run_at: None,
            timezone: "Europe/Berlin".into(),
            enabled: true,
            description: None,
            created_at: t,
            updated_at: t,
            last_run: None,
            last_status: None,
            next_run: None,
            origin,
            overridden: false,
            label_key: None,
            label_spec: None,
            label_hash: None,
            label_changed: false,
            notify: true,
            service: None,
            only_if: None,
            respect_manual: true,
            time_window: None,
            steps: None,
        }
    }

    fn hosts() -> Vec<HostId> {
        vec![HostId::local()]
    }

    #[test]
    fn an_export_read_back_into_the_same_rows_changes_nothing() {
        let rows = vec![
            row(1, "web", "0 3 * * *", ScheduleOrigin::Ui),
            row(2, "db", "0 4 * * *", ScheduleOrigin::Label),
        ];
        let doc = export(&rows, &[], &[], false, now());
        let text = serde_json::to_value(&doc).unwrap();
        assert_eq!((text["format"].as_str(), text["version"].as_u64()), (Some("chrontainer"), Some(1)));
        assert!(text["schedules"][0].get("id").is_none(), "never IDs: {text}");
        let doc = read(text).unwrap();
        let (steps, report) = plan(&doc, &rows, &hosts(), Mode::Replace, now());
        assert!(steps.is_empty(), "{steps:?}");
        assert_eq!(report.unchanged.len(), 1);
        assert_eq!(report.skipped.len(), 1);
        assert!(report.skipped[0].reason.contains("labels"));
    }

    #[test]
    fn into_an_empty_database_everything_is_created_and_replace_removes_the_rest() {
        let doc = export(&[row(1, "web", "0 3 * * *", ScheduleOrigin::Ui)], &[], &[], false, now());
        let (steps, report) = plan(&doc, &[], &hosts(), Mode::Merge, now());
        assert_eq!(report.created.len(), 1);
        assert!(
            matches!(&steps[0], Step::Create(_, new) if new.container_name == "web" && new.origin == ScheduleOrigin::Ui)
        );

        let here = vec![
            row(7, "web", "0 3 * * *", ScheduleOrigin::Ui),
            row(8, "other", "0 5 * * *", ScheduleOrigin::Ui),
            row(9, "lab", "0 5 * * *", ScheduleOrigin::Label),
        ];
        let mut edited = doc.clone();
        edited.schedules[0].enabled = false;
        let (steps, report) = plan(&edited, &here, &hosts(), Mode::Replace, now());
        assert_eq!(report.updated.len(), 1);
        assert_eq!(report.removed.iter().map(|i| i.container.as_str()).collect::<Vec<_>>(), ["other"]);
        assert!(
            matches!(&steps[..], [Step::Update(_, ScheduleId(7), c), Step::Delete(_, ScheduleId(8))] if c.enabled == Some(false))
        );
        let (_, merged) = plan(&edited, &here, &hosts(), Mode::Merge, now());
        assert!(merged.removed.is_empty());
    }

    #[test]
    fn bad_entries_are_errors_and_others_are_skipped_with_reasons() {
        let doc = read(json!({"format": "chrontainer", "version": 1, "schedules": [
            {"container": "a", "action": "restart", "cron": "61 * * * *", "timezone": "UTC"},
            {"container": "b", "action": "restart", "cron": "0 3 * * *", "timezone": "Mars/Base"},
            {"container": "c", "action": "stop", "run_at": "2020-01-01T00:00:00Z", "timezone": "UTC"},
            {"host": "elsewhere", "container": "d", "action": "stop", "cron": "0 3 * * *", "timezone": "UTC"},
            {"container": "e", "action": "stop", "cron": "0 3 * * *", "timezone": "UTC"},
            {"container": "e", "action": "stop", "cron": "0 3 * * *", "timezone": "UTC"},
            {"container": "f", "action": "stop", "timezone": "UTC"}
        ]}))
        .unwrap();
        let (steps, report) = plan(&doc, &[], &hosts(), Mode::Merge, now());
        assert_eq!(steps.len(), 1);
        assert_eq!(report.errors.len(), 3, "{:?}", report.errors);
        let reasons: Vec<&str> = report.skipped.iter().map(|s| s.reason.as_str()).collect();
        assert_eq!(reasons.len(), 3, "{reasons:?}");
        assert!(
            reasons[0].contains("passed") && reasons[1].contains("elsewhere") && reasons[2].contains("twice")
        );
    }

    #[test]
    fn hosts_and_channels_carry_their_secrets_only_when_asked_and_a_service_is_its_own_target() {
        let t = now().naive_utc();
        let host = HostRow {
            id: 2,
            name: HostId("pi".into()),
            url: "tcp://pi.lan:2376".into(),
            tls_ca: Some("CA".into()),
            tls_cert: Some("CERT".into()),
            tls_key: Some("KEY".into()),
            created_at: t,
            updated_at: t,
        };
        let channel = ChannelRow {
            id: 1,
            name: "phone".into(),
            url: "ntfy://:token@ntfy.sh/topic".into(),
            events: "error,missed".into(),
            enabled: true,
            created_at: t,
            updated_at: t,
        };
        let mut svc = row(3, "web", "0 3 * * *", ScheduleOrigin::Ui);
        svc.service = Some("web".into());
        svc.notify = false;
        let plain = serde_json::to_string(&export(
            &[svc.clone()],
            std::slice::from_ref(&host),
            std::slice::from_ref(&channel),
            false,
            now(),
        ))
        .unwrap();
        for secret in ["KEY", "CERT", "token"] {
            assert!(!plain.contains(secret), "{secret} in {plain}");
        }
        assert!(plain.contains("tcp://pi.lan:2376") && plain.contains("\"phone\""), "{plain}");
        let full = export(&[svc.clone()], &[host], &[channel], true, now());
        assert_eq!(full.hosts[0].tls_key.as_deref(), Some("KEY"));
        assert_eq!(full.channels[0].url.as_deref(), Some("ntfy://:token@ntfy.sh/topic"));

        let doc = read(serde_json::from_str(&plain).unwrap()).unwrap();
        let (steps, report) = plan(&doc, &[], &hosts(), Mode::Merge, now());
        assert!(report.skipped.is_empty() && report.created.len() == 1, "{report:?}");
        assert!(
            matches!(&steps[0], Step::Create(_, new) if new.service.as_deref() == Some("web") && !new.notify)
        );
        // the container schedule of the same name is another schedule
        let (_, report) =
            plan(&doc, &[row(4, "web", "0 3 * * *", ScheduleOrigin::Ui)], &hosts(), Mode::Merge, now());
        assert_eq!(report.created.len(), 1);
        let (steps, report) = plan(&doc, &[svc], &hosts(), Mode::Merge, now());
        assert!(steps.is_empty() && report.unchanged.len() == 1, "{report:?}");
    }

    #[test]
    fn a_guard_and_a_window_travel_and_read_back_unchanged() {
        let mut r = row(5, "db", "0 23 * * 1-5", ScheduleOrigin::Ui);
        r.only_if = Some(OnlyIf::Healthy);
        r.respect_manual = false;
        r.time_window = Some(Window::parse("stopped", "23:00", "07:00", Some("Mon-Fri")).unwrap());
        let text = serde_json::to_value(export(std::slice::from_ref(&r), &[], &[], false, now())).unwrap();
        assert_eq!(text["schedules"][0]["window"]["from"], "23:00", "{text}");
        let doc = read(text).unwrap();
        let (steps, report) = plan(&doc, std::slice::from_ref(&r), &hosts(), Mode::Merge, now());
        assert!(steps.is_empty() && report.unchanged.len() == 1, "{report:?}");
        let (steps, _) = plan(&doc, &[], &hosts(), Mode::Merge, now());
        assert!(matches!(&steps[0], Step::Create(_, new)
            if new.time_window == r.time_window && new.only_if == Some(OnlyIf::Healthy) && !new.respect_manual));
    }

    #[test]
    fn another_format_or_version_is_refused_first() {
        let e = read(json!({"format": "chrontainer", "version": 2, "future": true})).unwrap_err();
        assert_eq!((e.code(), e.field()), ("unsupported_version", Some("version")));
        assert!(e.to_string().contains("version 2"));
        assert_eq!(read(json!({"version": 1})).unwrap_err().field(), Some("format"));
        assert_eq!(read(json!({"format": "chrontainer"})).unwrap_err().code(), "unsupported_version");
        let e = read(json!({"format": "chrontainer", "version": 1, "extra": 1})).unwrap_err();
        assert_eq!(e.code(), "invalid_json");
    }
}
