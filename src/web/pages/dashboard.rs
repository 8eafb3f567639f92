//! `GET /`: is everything up, what happens next, did anything fail. Rendered from the DockerActor's
//! cache and the store only: no call to the Docker Engine per container.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::format::{capitalize, lower_first, matches, run_status, span, TimeView};
use super::rendered::{Page, Stamp};
use super::{Choice, Common};
use crate::actors::labels::Problems;
use crate::actors::watch::RuleTexts;
use crate::cron::{parse_timezone, CronExpr};
use crate::docker::{Health, StoppedByHand};
use crate::domain::RunStatus;
use crate::domain::{Action, HostId, ScheduleOrigin};
use crate::domain::{Container, DockerHealth};
use crate::error::AppError;
use crate::store::{self, Schedule};
use crate::web::identity::PageAuth;
use crate::web::AppState;

/// How far "Coming up" looks ahead.
const HORIZON_HOURS: i64 = 24;
/// "Coming up" lists at most this many runs, and at most [`RUNS_PER_SCHEDULE`] of one schedule,
/// so that an every-minute schedule cannot hide tonight's restart.
const UPCOMING_MAX: usize = 12;
const RUNS_PER_SCHEDULE: usize = 3;
/// The schedules listed at most: a page of 10,000 rows helps nobody and costs seconds to render.
const SCHEDULES_SHOWN: usize = 200;

/// Zones offered by the form's picker; the script adds every zone the browser knows.
const COMMON_ZONES: &[&str] = &[
    "UTC",
    "Europe/London",
    "Europe/Dublin",
    "Europe/Lisbon",
    "Europe/Paris",
    "Europe/Berlin",
    "Europe/Amsterdam",
    "Europe/Brussels",
    "Europe/Madrid",
    "Europe/Rome",
    "Europe/Zurich",
    "Europe/Vienna",
    "Europe/Stockholm",
    "Europe/Oslo",
    "Europe/Copenhagen",
    "Europe/Warsaw",
    "Europe/Prague",
    "Europe/Athens",
    "Europe/Helsinki",
    "Europe/Istanbul",
    "Europe/Kyiv",
    "Europe/Moscow",
    "America/New_York",
    "America/Toronto",
    "America/Chicago",
    "America/Denver",
    "America/Phoenix",
    "America/Los_Angeles",
    "America/Vancouver",
    "America/Anchorage",
    "America/Mexico_City",
    "America/Sao_Paulo",
    "America/Argentina/Buenos_Aires",
    "Pacific/Honolulu",
    "Africa/Lagos",
    "Africa/Cairo",
    "Africa/Johannesburg",
    "Asia/Dubai",
    "Asia/Kolkata",
    "Asia/Bangkok",
    "Asia/Singapore",
    "Asia/Shanghai",
    "Asia/Hong_Kong",
    "Asia/Tokyo",
    "Asia/Seoul",
    "Australia/Perth",
    "Australia/Brisbane",
    "Australia/Sydney",
    "Pacific/Auckland",
];

const STATE_FILTERS: [(&str, &str); 4] = [
    ("all", "All states"),
    ("running", "Running"),
    ("stopped", "Stopped or paused"),
    ("unhealthy", "Unhealthy"),
];

/// `?q=&state=&host=`: the filter lives in the address so it survives a reload and works without script.
#[derive(Debug, Default, Deserialize)]
struct DashboardQuery {
    q: Option<String>,
    state: Option<String>,
    host: Option<String>,
}

/// What the dashboard is made of, gathered by [`page`]; a plain value so tests can build one.
pub struct Input {
    pub health: DockerHealth,
    pub containers: Result<Vec<Container>, AppError>,
    pub schedules: Vec<Schedule>,
    pub failures_24h: i64,
    pub default_tz: Tz,
    pub q: String,
    pub state: String,
    /// Every host's name, `local` first; with more than one the dashboard groups by host.
    pub hosts: Vec<String>,
    /// Hosts other than `local` whose containers cannot be listed, and why.
    pub hosts_down: Vec<(String, String)>,
    /// Only this host's containers are shown (empty: all).
    pub host: String,
    /// The rules on each container, in words ("stopped nightly 23:00–07:00", "stopped by hand:
    /// schedules paused"), by host and name.
    pub rules: HashMap<(HostId, String), Vec<String>>,
    /// The refused `chrontainer.*` labels of each container, by host and container ID (the
    /// LabelActor's).
    pub label_problems: HashMap<(HostId, String), Vec<String>>,
}

#[derive(Debug, Serialize)]
pub struct Dashboard {
    docker: DockerView,
    /// Why containers cannot be listed (Docker unreachable); empty when they can.
    containers_error: String,
    counts: Counts,
    upcoming: Vec<Upcoming>,
    upcoming_capped: bool,
    groups: Vec<Group>,
    has_containers: bool,
    no_container_matches: bool,
    schedules: Vec<ScheduleView>,
    /// Schedules matching the search that are not listed (more than [`SCHEDULES_SHOWN`]).
    schedules_left_out: usize,
    no_schedule_matches: bool,
    q: String,
    state_options: Vec<Choice>,
    /// The host filter's choices; empty (no filter shown) with only `local`.
    host_options: Vec<Choice>,
    hosts_down: Vec<HostDown>,
    container_names: Vec<String>,
    timezones: Vec<String>,
    default_timezone: String,
    action_options: Vec<Choice>,
    /// The newest runs and actions, a run as one item of steps (`runs.rs`).
    recent: Vec<super::runs::Item>,
}

#[derive(Debug, Serialize)]
struct HostDown {
    name: String,
    error: String,
}

#[derive(Debug, Serialize)]
struct DockerView {
    reachable: bool,
    engine_version: String,
    error: String,
}

#[derive(Debug, Default, Serialize)]
struct Counts {
    running: usize,
    paused: usize,
    stopped: usize,
    unhealthy: usize,
    schedules_enabled: usize,
    schedules_total: usize,
    failures_24h: i64,
}

#[derive(Debug, Serialize)]
struct Upcoming {
    time: TimeView,
    action: String,
    container: String,
    schedule_id: i32,
}

#[derive(Debug, Serialize)]
struct Group {
    /// The compose project, or "Other containers"; with several hosts, `host · ` before it.
    title: String,
    /// The compose project as the stack API names it (`data-stack`); empty for the rest.
    stack: String,
    /// The host of its containers (`data-host`, the stack API's `?host=`).
    host: String,
    compose: bool,
    /// A stack's schedules, and the chains that include it (`stack_schedules.rs`).
    schedules: Vec<super::stack_schedules::StackSchedule>,
    summary: String,
    hidden: bool,
    containers: Vec<ContainerView>,
}

#[derive(Debug, Serialize)]
struct ContainerView {
    host: String,
    id: String,
    short_id: String,
    name: String,
    /// Its output's page, on its own host.
    logs_href: String,
    image: String,
    image_short: String,
    service: String,
    state: String,
    state_label: String,
    state_class: &'static str,
    /// `running`, `paused` or `stopped`: what the state filter looks at.
    category: &'static str,
    health: String,
    health_label: String,
    health_class: &'static str,
    /// `Up 3 d 4 h` while running, else Docker's status (`Exited (0) 2 hours ago`).
    uptime: String,
    uptime_title: String,
    next: Option<NextAction>,
    /// Its rules in words: windows, autoheal, stopped by hand.
    rules: Vec<String>,
    search: String,
    hidden: bool,
    buttons: Vec<Button>,
    /// Its refused labels, each `label: what is wrong` (untrusted text, escaped by the template).
    label_problems: Vec<String>,
}

#[derive(Debug, Serialize)]
struct NextAction {
    action: String,
    time: TimeView,
}

#[derive(Debug, Serialize)]
struct Button {
    action: &'static str,
    label: String,
    disruptive: bool,
}

#[derive(Debug, Serialize)]
struct ScheduleView {
    id: i32,
    host: String,
    container: String,
    action: String,
    action_label: String,
    /// The cron description continuing the sentence: `at 03:00, Monday through Friday`.
    when: String,
    /// The whole sentence as plain text (for the confirmation questions).
    sentence: String,
    timezone: String,
    cron: String,
    run_at: String,
    /// A window's parts, for the form (empty for a cron or one-time schedule).
    window_state: String,
    window_from: String,
    window_to: String,
    window_days: String,
    only_if: String,
    respect_manual: bool,
    description: String,
    enabled: bool,
    next: Option<TimeView>,
    last: Option<TimeView>,
    last_status: String,
    last_status_label: String,
    last_status_class: &'static str,
    container_missing: bool,
    search: String,
    hidden: bool,
    /// The last 14 days, when the schedule ran in them.
    spark: Option<super::sparkline::Sparkline>,
    /// From `chrontainer.*` labels: a badge, no delete, and "revert to the label" once overridden.
    from_labels: bool,
    overridden: bool,
    label_changed: bool,
    /// A chain of steps: its sentence is the steps, and the form's Edit opens in steps mode.
    chain: bool,
}

/// The containers someone stopped or paused outside Chrontainer, on every host that answers.
async fn stopped_by_hand(state: &AppState) -> Vec<(HostId, String)> {
    let asks = state.actors.hosts.all().into_iter().map(|(host, docker)| async move {
        let names = docker.send(StoppedByHand).await.unwrap_or_default();
        names.into_iter().map(move |name| (host.clone(), name))
    });
    futures_util::future::join_all(asks).await.into_iter().flatten().collect()
}

pub async fn page(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let result = whole(&state, &req).await.map(|page| super::send_page(&req, page));
    super::respond(&state, &req, result)
}

/// The layout around the body, which is the same for everyone who may see the page.
#[derive(Serialize)]
struct Shell<'a> {
    #[serde(flatten)]
    common: Common,
    auth: PageAuth,
    main: &'a str,
}

/// The whole page for the filter in the address and the person asking: as made since the last
/// change, or around the body (itself kept, or rendered afresh).
async fn whole(state: &AppState, req: &HttpRequest) -> Result<Page, AppError> {
    let filter = Filter::of(super::query(req)?);
    let stamp = Stamp::now(&state.bus, Utc::now());
    let auth = PageAuth::of(req);
    let body_key = format!("{filter:?}");
    let page_key = format!("{body_key} {auth:?}");
    if let Some(kept) = state.rendered.page(stamp, &page_key) {
        return Ok(kept);
    }
    let main = body(state, filter, stamp, body_key).await?;
    let shell = Shell { common: Common::new("Dashboard", "dashboard"), auth, main: &main };
    let page = Page::of(super::render_text(&state.templates, "dashboard", &shell)?);
    state.rendered.keep_page(stamp, page_key, page.clone());
    Ok(page)
}

/// The page's body for `filter`: as rendered since the last change, or afresh.
async fn body(state: &AppState, filter: Filter, stamp: Stamp, key: String) -> Result<Arc<str>, AppError> {
    if let Some(kept) = state.rendered.get(stamp, &key) {
        return Ok(kept);
    }
    let view = load(state, filter).await?;
    let main: Arc<str> = super::render_text(&state.templates, "dashboard_main", &view)?.into();
    state.rendered.keep(stamp, key, main.clone());
    Ok(main)
}

/// The filter as the dashboard applies it: trimmed, and cut to a sane length.
#[derive(Debug)]
struct Filter {
    q: String,
    state: String,
    host: String,
}

impl Filter {
    fn of(query: DashboardQuery) -> Filter {
        let cut =
            |text: Option<String>, max: usize| text.unwrap_or_default().trim().chars().take(max).collect();
        Filter { q: cut(query.q, 200), state: cut(query.state, 20), host: cut(query.host, 63) }
    }
}

async fn load(state: &AppState, filter: Filter) -> Result<Dashboard, AppError> {
    let since = (Utc::now() - Duration::hours(24)).naive_utc();
    let newest = store::LogQuery { limit: super::runs::ENTRIES, ..Default::default() };
    let (health, (containers, down), schedules, failures, sparks, rules, by_hand, label_problems, newest) = tokio::join!(
        state.actors.docker.send(Health),
        crate::web::api::containers::per_host(state),
        store::schedules::list(&state.actors.store),
        store::logs::count_since(&state.actors.store, RunStatus::Error, since),
        store::stats::load_schedule_days(&state.actors.store, Utc::now().naive_utc(), super::sparkline::DAYS),
        state.actors.watch.send(RuleTexts),
        stopped_by_hand(state),
        state.actors.labels.send(Problems),
        store::logs::page(&state.actors.store, newest),
    );
    let mut rules: HashMap<(HostId, String), Vec<String>> =
        rules?.into_iter().map(|r| ((r.host, r.container), r.lines)).collect();
    for key in by_hand {
        rules.entry(key).or_default().push("stopped by hand: schedules paused".into());
    }
    // local's own outage is the "Docker unreachable" banner; the other hosts' are named one by one
    let (local_down, others_down): (Vec<_>, Vec<_>) =
        down.into_iter().partition(|(h, _)| h.as_str() == HostId::LOCAL);
    let containers = match (containers.is_empty(), local_down.into_iter().next()) {
        (true, Some((_, e))) => Err(e),
        _ => Ok(containers),
    };
    let input = Input {
        health: health?,
        containers,
        hosts: state.actors.hosts.all().into_iter().map(|(h, _)| h.to_string()).collect(),
        hosts_down: others_down.into_iter().map(|(h, e)| (h.to_string(), e.to_string())).collect(),
        host: filter.host,
        schedules: schedules?.into_iter().map(Schedule::from).collect(),
        failures_24h: failures?,
        default_tz: state.config.timezone,
        q: filter.q,
        state: filter.state,
        rules,
        label_problems: label_problems?,
    };
    let mut view = build(input, Utc::now());
    view.recent = super::runs::recent(newest?.items, state.config.timezone, Utc::now());
    let sparks = sparks?;
    for s in &mut view.schedules {
        s.spark = sparks.get(&s.id).map(|days| super::sparkline::sparkline(days));
    }
    Ok(view)
}

/// The view of the dashboard at `now`.
pub fn build(input: Input, now: DateTime<Utc>) -> Dashboard {
    let state_filter = match STATE_FILTERS.iter().find(|(v, _)| *v == input.state) {
        Some((v, _)) => *v,
        None => "all",
    };
    let (containers, containers_error) = match input.containers {
        Ok(list) => (list, String::new()),
        Err(e) => (Vec::new(), e.to_string()),
    };
    let schedules = input.schedules;
    let tz_of = |s: &Schedule| parse_timezone(&s.timezone).unwrap_or(input.default_tz);

    // The next run of every enabled schedule, and per container the soonest.
    let mut next_by_container: HashMap<&str, (DateTime<Utc>, &str)> = HashMap::new();
    for s in schedules.iter().filter(|s| s.enabled) {
        if let Some(t) = next_run(s, tz_of(s), now) {
            let entry = next_by_container.entry(s.container.as_str()).or_insert((t, s.action.as_str()));
            if t < entry.0 {
                *entry = (t, s.action.as_str());
            }
        }
    }

    let mut counts = Counts {
        schedules_enabled: schedules.iter().filter(|s| s.enabled).count(),
        schedules_total: schedules.len(),
        failures_24h: input.failures_24h,
        ..Counts::default()
    };
    let several = input.hosts.len() > 1;
    // local first, then by host name; in each, the compose projects, then the rest
    let mut projects: BTreeMap<(bool, String, Option<String>), Vec<ContainerView>> = BTreeMap::new();
    for c in &containers {
        let mut view = container_view(c, &next_by_container, input.default_tz, now, &input.q, state_filter);
        view.label_problems =
            input.label_problems.get(&(c.host.clone(), c.id.clone())).cloned().unwrap_or_default();
        view.hidden |= !input.host.is_empty() && c.host.as_str() != input.host;
        view.rules = input.rules.get(&(c.host.clone(), c.name.clone())).cloned().unwrap_or_default();
        match view.category {
            "running" => counts.running += 1,
            "paused" => counts.paused += 1,
            _ => counts.stopped += 1,
        }
        if view.health == "unhealthy" {
            counts.unhealthy += 1;
        }
        let key = (c.host.as_str() != HostId::LOCAL, c.host.to_string(), c.compose_project.clone());
        projects.entry(key).or_default().push(view);
    }
    let mut groups: Vec<Group> = Vec::new();
    let mut hosts_seen: Vec<(bool, String)> = projects.keys().map(|(l, h, _)| (*l, h.clone())).collect();
    hosts_seen.dedup();
    for (not_local, host) in hosts_seen {
        let titled = |title: String| if several { format!("{host} · {title}") } else { title };
        let mut in_host = 0;
        // BTreeMap puts `None` first; ungrouped containers go last.
        let ungrouped = projects.remove(&(not_local, host.clone(), None));
        let keys: Vec<_> =
            projects.keys().filter(|(l, h, _)| *l == not_local && *h == host).cloned().collect();
        for key in keys {
            if let Some(list) = projects.remove(&key) {
                let project = key.2.unwrap_or_default();
                groups.push(group(titled(project.clone()), Some(project), &host, list));
                in_host += 1;
            }
        }
        if let Some(list) = ungrouped {
            let title = if in_host == 0 { "Containers" } else { "Other containers" };
            groups.push(group(titled(title.into()), None, &host, list));
        }
    }

    for g in groups.iter_mut().filter(|g| g.compose) {
        let names: Vec<&str> = g.containers.iter().map(|c| c.name.as_str()).collect();
        g.schedules = super::stack_schedules::of(&schedules, &g.host, &g.stack, &names, &tz_of, now);
    }

    let names: std::collections::HashSet<&str> = containers.iter().map(|c| c.name.as_str()).collect();
    let docker_ok = containers_error.is_empty();
    let mut in_order: Vec<&Schedule> = schedules.iter().collect();
    in_order.sort_by(|a, b| {
        (&a.container, a.action.as_str(), a.id.0).cmp(&(&b.container, b.action.as_str(), b.id.0))
    });
    // Up to SCHEDULES_SHOWN rows, each there for the script's filter to show or hide; beyond that,
    // only those that match the search the server was given, and a count of the rest.
    let capped = schedules.len() > SCHEDULES_SHOWN;
    let mut schedule_views: Vec<ScheduleView> = Vec::new();
    let mut schedules_left_out = 0;
    for s in in_order {
        if capped && schedule_views.len() == SCHEDULES_SHOWN && input.q.is_empty() {
            schedules_left_out += 1;
            continue;
        }
        let missing = docker_ok && s.service.is_none() && !names.contains(s.container.as_str());
        let view = schedule_view(s, tz_of(s), now, &input.q, missing);
        if capped {
            if view.hidden {
                continue;
            }
            if schedule_views.len() == SCHEDULES_SHOWN {
                schedules_left_out += 1;
                continue;
            }
        }
        schedule_views.push(view);
    }

    let (upcoming, upcoming_capped) = upcoming(&schedules, &tz_of, input.default_tz, now);
    let mut container_names: Vec<String> = containers.iter().map(|c| c.name.clone()).collect();
    container_names.sort();
    let mut timezones: Vec<String> = COMMON_ZONES.iter().map(|z| z.to_string()).collect();
    if !timezones.iter().any(|z| z == input.default_tz.name()) {
        timezones.insert(0, input.default_tz.name().to_string());
    }

    Dashboard {
        docker: DockerView {
            reachable: input.health.status == "ok",
            engine_version: input.health.engine_version.unwrap_or_default(),
            error: input.health.error.unwrap_or_default(),
        },
        containers_error,
        counts,
        upcoming,
        upcoming_capped,
        has_containers: !containers.is_empty(),
        no_container_matches: !containers.is_empty() && groups.iter().all(|g| g.hidden),
        groups,
        no_schedule_matches: !schedules.is_empty() && schedule_views.iter().all(|s| s.hidden),
        schedules: schedule_views,
        schedules_left_out,
        q: input.q,
        state_options: Choice::list(&STATE_FILTERS, state_filter),
        host_options: match several {
            true => input
                .hosts
                .iter()
                .map(|h| Choice { value: h.clone(), label: h.clone(), selected: *h == input.host })
                .collect(),
            false => Vec::new(),
        },
        hosts_down: input.hosts_down.into_iter().map(|(name, error)| HostDown { name, error }).collect(),
        container_names,
        timezones,
        default_timezone: input.default_tz.name().to_string(),
        action_options: Choice::actions(None, "restart"),
        recent: Vec::new(),
    }
}

/// The schedule's next run: the scheduler's, else computed (a schedule the scheduler has not armed yet).
pub(super) fn next_run(s: &Schedule, tz: Tz, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    s.next_run.or_else(|| match (&s.cron, s.run_at) {
        (Some(cron), _) => CronExpr::parse(cron).ok()?.next_after(tz, now),
        (None, Some(at)) => (at > now).then_some(at),
        (None, None) => None,
    })
}

/// The runs of the next [`HORIZON_HOURS`] in time order, and whether some were left out. Their
/// times are shown in the default zone: one list, one clock.
fn upcoming(
    schedules: &[Schedule],
    tz_of: &dyn Fn(&Schedule) -> Tz,
    shown_in: Tz,
    now: DateTime<Utc>,
) -> (Vec<Upcoming>, bool) {
    let end = now + Duration::hours(HORIZON_HOURS);
    // every schedule's next run, as the scheduler keeps it: no cron is parsed for these
    let mut firsts: Vec<(DateTime<Utc>, &Schedule)> = schedules
        .iter()
        .filter(|s| s.enabled)
        .filter_map(|s| next_run(s, tz_of(s), now).filter(|t| *t <= end).map(|t| (t, s)))
        .collect();
    firsts.sort_by_key(|(t, s)| (*t, s.id));
    // A run in the list comes no later than the list's last place, and so does its schedule's
    // next run: only the first UPCOMING_MAX schedules can have later runs in it.
    let mut capped = firsts.len() > UPCOMING_MAX;
    let mut runs: Vec<(DateTime<Utc>, &Schedule)> = Vec::new();
    for &(first, s) in firsts.iter().take(UPCOMING_MAX) {
        let tz = tz_of(s);
        let cron = s.cron.as_deref().and_then(|c| CronExpr::parse(c).ok());
        let mut next = Some(first);
        let mut n = 0;
        while let Some(t) = next.filter(|t| *t <= end) {
            if n == RUNS_PER_SCHEDULE {
                capped = true;
                break;
            }
            runs.push((t, s));
            n += 1;
            next = cron.as_ref().and_then(|c| c.next_after(tz, t));
        }
    }
    runs.sort_by_key(|(t, s)| (*t, s.id));
    capped |= runs.len() > UPCOMING_MAX;
    let list = runs
        .into_iter()
        .take(UPCOMING_MAX)
        .map(|(t, s)| Upcoming {
            time: TimeView::new(t, shown_in, now),
            action: s.action.as_str().to_string(),
            container: s.container.clone(),
            schedule_id: s.id.0,
        })
        .collect();
    (list, capped)
}

/// A group of containers: a compose project's (`stack`) or the rest of a host's.
fn group(title: String, stack: Option<String>, host: &str, containers: Vec<ContainerView>) -> Group {
    let count = |cat: &str| containers.iter().filter(|c| c.category == cat).count();
    let mut parts: Vec<String> = [("running", "running"), ("paused", "paused"), ("stopped", "stopped")]
        .iter()
        .filter_map(|(cat, word)| Some(count(cat)).filter(|n| *n > 0).map(|n| format!("{n} {word}")))
        .collect();
    let unhealthy = containers.iter().filter(|c| c.health == "unhealthy").count();
    if unhealthy > 0 {
        parts.push(format!("{unhealthy} unhealthy"));
    }
    Group {
        title,
        compose: stack.is_some(),
        stack: stack.unwrap_or_default(),
        host: host.to_string(),
        schedules: Vec::new(),
        summary: parts.join(", "),
        hidden: containers.iter().all(|c| c.hidden),
        containers,
    }
}

/// The state's badge: colour class, words, and the filter's category.
pub(super) fn state_badge(state: &str) -> (&'static str, String, &'static str) {
    match state {
        "running" => ("ok", "Running".into(), "running"),
        "restarting" => ("warn", "Restarting".into(), "running"),
        "paused" => ("warn", "Paused".into(), "paused"),
        "dead" => ("bad", "Dead".into(), "stopped"),
        "removing" => ("warn", "Removing".into(), "stopped"),
        other => ("off", capitalize(other), "stopped"),
    }
}

/// The buttons that make sense in `state`, in the order shown.
fn actions_for(state: &str) -> &'static [Action] {
    match state {
        "running" => &[Action::Restart, Action::Stop, Action::Pause],
        "paused" => &[Action::Unpause, Action::Stop],
        "restarting" => &[Action::Stop],
        "removing" => &[],
        _ => &[Action::Start],
    }
}

fn state_matches(filter: &str, category: &str, health: &str) -> bool {
    match filter {
        "running" => category == "running",
        "stopped" => category != "running",
        "unhealthy" => health == "unhealthy",
        _ => true,
    }
}

fn container_view(
    c: &Container,
    next: &HashMap<&str, (DateTime<Utc>, &str)>,
    tz: Tz,
    now: DateTime<Utc>,
    q: &str,
    state_filter: &str,
) -> ContainerView {
    let (state_class, state_label, category) = state_badge(&c.state);
    let health = c.health.clone().unwrap_or_default();
    let (health_class, health_label) = match health.as_str() {
        "healthy" => ("ok", "Healthy".to_string()),
        "unhealthy" => ("bad", "Unhealthy".to_string()),
        "starting" => ("warn", "Health: starting".to_string()),
        "" => ("off", String::new()),
        other => ("off", capitalize(other)),
    };
    let (uptime, uptime_title) = match c.started_at {
        Some(started) if category != "stopped" => (
            format!("Up {}", span(now - started)),
            format!("Started {}", TimeView::new(started, tz, now).abs),
        ),
        _ => (c.status.clone(), String::new()),
    };
    let service = c.compose_service.clone().unwrap_or_default();
    let search =
        [c.name.as_str(), &c.image, c.compose_project.as_deref().unwrap_or(""), &service, &c.state, &health]
            .join(" ")
            .to_lowercase();
    let hidden = !(matches(&search, q) && state_matches(state_filter, category, &health));
    ContainerView {
        host: c.host.to_string(),
        id: c.id.clone(),
        short_id: c.id.chars().take(12).collect(),
        name: c.name.clone(),
        logs_href: super::container_logs::href(&c.host, &c.name, &[], false),
        image: c.image.clone(),
        image_short: super::format::short_image(&c.image),
        service,
        state: c.state.clone(),
        state_label,
        state_class,
        category,
        health,
        health_label,
        health_class,
        uptime,
        uptime_title,
        next: next
            .get(c.name.as_str())
            .map(|(t, action)| NextAction { action: action.to_string(), time: TimeView::new(*t, tz, now) }),
        rules: Vec::new(),
        search,
        hidden,
        buttons: actions_for(&c.state)
            .iter()
            .map(|a| Button {
                action: a.as_str(),
                label: capitalize(a.as_str()),
                disruptive: a.is_disruptive(),
            })
            .collect(),
        label_problems: Vec::new(),
    }
}

/// "at 03:00, Monday through Friday" or "once, on Mon 5 Jan 2026 at 03:00".
pub(super) fn when(s: &Schedule, tz: Tz) -> String {
    if let Some(window) = s.window.as_ref().and_then(|w| w.to_window().ok()) {
        return format!("and keeps it {}", window.describe());
    }
    match (&s.cron, s.run_at) {
        (Some(cron), _) => match crate::cron::describe_cached(cron) {
            Ok(description) => {
                if description.trim() == cron.trim() {
                    format!("on the schedule {cron}")
                } else {
                    lower_first(&description)
                }
            }
            Err(e) => format!("on {cron}, which is not valid any more ({e})"),
        },
        (None, Some(at)) => format!("once, on {}", at.with_timezone(&tz).format("%a %-d %b %Y at %H:%M")),
        (None, None) => "never".into(),
    }
}

fn schedule_view(s: &Schedule, tz: Tz, now: DateTime<Utc>, q: &str, container_missing: bool) -> ScheduleView {
    let (action_label, container) = match &s.steps {
        Some(steps) => {
            let words: Vec<String> = steps.iter().map(|step| step.describe()).collect();
            ("Chain:".to_string(), words.join(", then "))
        }
        None => (capitalize(s.action.as_str()), s.container.clone()),
    };
    let when = when(s, tz);
    let sentence = format!("{action_label} {container} {when} ({})", s.timezone);
    let description = s.description.clone().unwrap_or_default();
    let cron = s.cron.clone().unwrap_or_default();
    let last_status = s.last_status.map(RunStatus::as_str).unwrap_or_default().to_string();
    let (last_status_class, last_status_label) = run_status(s.last_status);
    let search = [sentence.as_str(), &cron, &description].join(" ").to_lowercase();
    ScheduleView {
        id: s.id.0,
        host: s.host.to_string(),
        chain: s.steps.is_some(),
        container,
        action: s.action.as_str().to_string(),
        action_label,
        when,
        timezone: s.timezone.clone(),
        run_at: s.run_at.map(|t| crate::time::rfc3339(&t)).unwrap_or_default(),
        window_state: s.window.as_ref().map(|w| w.state.as_str().to_string()).unwrap_or_default(),
        window_from: s.window.as_ref().map(|w| w.from.clone()).unwrap_or_default(),
        window_to: s.window.as_ref().map(|w| w.to.clone()).unwrap_or_default(),
        window_days: s
            .window
            .as_ref()
            .map(|w| w.days.clone().unwrap_or_else(|| "*".into()))
            .unwrap_or_default(),
        only_if: s.only_if.map(|o| o.as_str().to_string()).unwrap_or_default(),
        respect_manual: s.respect_manual,
        cron,
        description,
        enabled: s.enabled,
        next: s.enabled.then(|| next_run(s, tz, now)).flatten().map(|t| TimeView::new(t, tz, now)),
        last: s.last_run.map(|t| TimeView::new(t, tz, now)),
        last_status,
        last_status_label,
        last_status_class,
        container_missing: container_missing && s.steps.is_none(),
        hidden: !matches(&search, q),
        search,
        sentence,
        from_labels: s.origin == ScheduleOrigin::Label,
        overridden: s.overridden,
        label_changed: s.label_changed,
        spark: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::pages::tests::{assert_escaped, EVIL};
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 5, 22, 48, 0).unwrap()
    }

    fn container(name: &str, state: &str, project: Option<&str>) -> Container {
        Container {
            host: crate::domain::HostId::local(),
            id: format!("{:0<64}", name.len()),
            name: name.into(),
            image: "ghcr.io/linuxserver/nextcloud:28".into(),
            state: state.into(),
            status: if state == "running" { "Up 2 hours".into() } else { "Exited (0) 3 hours ago".into() },
            health: (state == "running").then(|| "healthy".into()),
            compose_project: project.map(str::to_string),
            compose_service: project.map(|_| "web".into()),
            created: now() - Duration::days(3),
            started_at: Some(now() - Duration::hours(2)),
            labels: Default::default(),
        }
    }

    fn schedule(id: i32, container: &str, cron: &str) -> Schedule {
        Schedule {
            id: crate::domain::ScheduleId(id),
            host: crate::domain::HostId::local(),
            container: container.into(),
            container_id: None,
            compose_project: None,
            compose_service: None,
            action: crate::domain::Action::Restart,
            cron: Some(cron.into()),
            run_at: None,
            timezone: "Europe/Lisbon".into(),
            enabled: true,
            description: Some(format!("note {EVIL}")),
            created_at: now() - Duration::days(1),
            updated_at: now() - Duration::days(1),
            last_run: Some(now() - Duration::hours(20)),
            last_status: Some(RunStatus::Error),
            next_run: None,
            origin: crate::domain::ScheduleOrigin::Ui,
            overridden: false,
            label_changed: false,
            notify: true,
            service: None,
            only_if: None,
            respect_manual: true,
            window: None,
            steps: None,
        }
    }

    fn sample(containers: Result<Vec<Container>, AppError>) -> Input {
        Input {
            health: DockerHealth {
                status: "ok",
                api_version: Some("1.41".into()),
                engine_version: Some("20.10.24".into()),
                error: None,
            },
            containers,
            schedules: vec![schedule(1, "nextcloud", "0 3 * * *"), schedule(2, EVIL, "*/15 * * * *")],
            failures_24h: 2,
            default_tz: chrono_tz::Europe::Lisbon,
            q: String::new(),
            state: String::new(),
            hosts: vec!["local".into()],
            hosts_down: Vec::new(),
            host: String::new(),
            rules: HashMap::from([(
                (HostId::local(), "nextcloud".to_string()),
                vec![format!("stopped nightly {EVIL}")],
            )]),
            label_problems: HashMap::from([(
                (HostId::local(), format!("{:0<64}", EVIL.len())),
                vec![format!("chrontainer.restart.schedule: {EVIL} is not a cron expression")],
            )]),
        }
    }

    fn containers() -> Vec<Container> {
        vec![
            container("nextcloud", "running", Some("cloud")),
            container(EVIL, "exited", Some(EVIL)),
            container("lonely", "paused", None),
        ]
    }

    #[test]
    fn the_dashboard_renders_escaped() {
        let hb = crate::web::pages::templates().unwrap();
        let view = build(sample(Ok(containers())), now());
        let html = hb.render("dashboard_main", &view).unwrap();
        assert_escaped(&html);
        assert!(html.contains("nextcloud"));
        assert!(html.contains("is not a cron expression"), "a refused label is shown on its container's row");
        assert!(html.contains("Coming up"));
        assert!(html.contains("20.10.24"));
        assert!(!html.contains("Docker unreachable"));
    }

    #[test]
    fn several_hosts_group_by_host_then_project_and_filter_by_host() {
        let mut on_pi = container("plex", "running", Some("media"));
        on_pi.host = crate::domain::HostId("pi".into());
        let mut lonely_pi = container("backup", "exited", None);
        lonely_pi.host = crate::domain::HostId("pi".into());
        let mut all = containers();
        all.extend([on_pi, lonely_pi]);
        let mut input = sample(Ok(all));
        input.hosts = vec!["local".into(), "pi".into()];
        let view = build(input, now());
        let titles: Vec<&str> = view.groups.iter().map(|g| g.title.as_str()).collect();
        let evil = format!("local · {EVIL}");
        assert_eq!(
            titles,
            [
                evil.as_str(),
                "local · cloud",
                "local · Other containers",
                "pi · media",
                "pi · Other containers"
            ]
        );
        assert_eq!(view.host_options.iter().map(|c| c.value.as_str()).collect::<Vec<_>>(), ["local", "pi"]);
        // each row's Output opens its own host's container, not a namesake on local
        let logs_of = |host: &str, name: &str| {
            let rows = view.groups.iter().flat_map(|g| &g.containers);
            rows.filter(|c| c.host == host && c.name == name).map(|c| c.logs_href.clone()).next()
        };
        assert_eq!(logs_of("pi", "plex").as_deref(), Some("/containers/plex/logs?host=pi"));
        assert_eq!(logs_of("local", "nextcloud").as_deref(), Some("/containers/nextcloud/logs"));
        let html = crate::web::pages::templates().unwrap().render("dashboard_main", &view).unwrap();
        assert!(html.contains(r#"href="/containers/plex/logs?host&#x3D;pi""#), "{html}");

        let mut input = sample(Ok(containers()));
        input.hosts = vec!["local".into(), "pi".into()];
        input.host = "pi".into();
        input.hosts_down = vec![("pi".into(), "tcp://pi:2375: connection refused".into())];
        let view = build(input, now());
        assert!(
            view.groups.iter().all(|g| g.hidden),
            "only pi's containers are shown, and it has none listed"
        );
        let hb = crate::web::pages::templates().unwrap();
        let html = hb.render("dashboard_main", &view).unwrap();
        assert!(html.contains("Host pi unreachable."), "each host that is down is named");
        // with local alone nothing says "host"
        let html = hb.render("dashboard_main", &build(sample(Ok(containers())), now())).unwrap();
        assert!(!html.contains("host-filter") && !html.contains("local ·"));
    }

    #[test]
    fn a_stacks_buttons_name_its_project_and_its_host_when_there_are_several() {
        let mut on_pi = container("plex", "running", Some("media"));
        on_pi.host = crate::domain::HostId("pi".into());
        let mut all = containers();
        all.push(on_pi);
        let mut input = sample(Ok(all));
        input.hosts = vec!["local".into(), "pi".into()];
        let view = build(input, now());
        let media = view.groups.iter().find(|g| g.title == "pi · media").unwrap();
        assert_eq!((media.stack.as_str(), media.host.as_str()), ("media", "pi"));
        let hb = crate::web::pages::templates().unwrap();
        let html = hb.render("dashboard_main", &view).unwrap();
        assert!(html.contains(r#"data-stack="media" data-host="pi""#), "{html}");
        assert!(html.contains(r#"data-stack="cloud" data-host="local""#), "{html}");
        assert!(!html.contains(r#"data-stack="pi ·"#) && !html.contains(r#"data-stack="local ·"#), "{html}");
        assert!(html.contains(r#"<option value="media">"#), "the form's stack names are plain: {html}");
        // the rest of a host's containers are no stack
        assert!(!html.contains(r#"data-stack="""#), "{html}");
    }

    #[test]
    fn a_stack_header_lists_its_schedules_and_the_chains_that_include_it() {
        use crate::domain::{ChainStep, Wait};
        let step = |host: &str, container: Option<&str>, stack: Option<&str>, action| ChainStep {
            host: Some(HostId(host.into())),
            container: container.map(str::to_string),
            service: None,
            stack: stack.map(str::to_string),
            action,
            wait: Wait::None,
            timeout_s: 60,
            with_dependents: false,
        };
        let mut own = schedule(3, "cloud", "0 3 * * 1");
        own.steps = Some(vec![step("local", None, Some("cloud"), Action::Restart)]);
        let mut chain = schedule(4, "db", "30 4 * * *");
        chain.steps = Some(vec![
            step("local", Some("db"), None, Action::Stop),
            step("local", Some("nextcloud"), None, Action::Restart),
        ]);
        chain.enabled = false;
        // the same project on another host is another stack
        let mut elsewhere = schedule(5, "cloud", "0 5 * * *");
        elsewhere.steps = Some(vec![step("pi", None, Some("cloud"), Action::Restart)]);
        let mut evil = schedule(6, EVIL, "0 6 * * *");
        evil.steps = Some(vec![step("local", None, Some(EVIL), Action::Stop)]);
        let mut input = sample(Ok(containers()));
        input.schedules.extend([own, chain, elsewhere, evil]);
        let view = build(input, now());

        let cloud = view.groups.iter().find(|g| g.stack == "cloud").unwrap();
        let listed: Vec<(i32, &str)> = cloud.schedules.iter().map(|s| (s.id, s.what.as_str())).collect();
        assert_eq!(
            listed,
            [(3, "Restart in order"), (4, "Chain of 2 steps")],
            "not the container's own schedule 1"
        );
        let row = view.schedules.iter().find(|s| s.id == 3).unwrap();
        let first = &cloud.schedules[0];
        assert_eq!(first.when, row.when, "the cron in words, as its row says it");
        assert_eq!(first.next.as_ref().map(|t| &t.rel), row.next.as_ref().map(|t| &t.rel));
        assert!(first.next.is_some() && first.steps.is_empty());
        let second = &cloud.schedules[1];
        assert_eq!(second.steps, "stop db, then restart nextcloud");
        assert!(second.next.is_none() && !second.enabled, "a disabled chain has no next run");
        let others = view.groups.iter().find(|g| !g.compose).unwrap();
        assert!(others.schedules.is_empty());
        let evil_group = view.groups.iter().find(|g| g.stack == EVIL).unwrap();
        assert_eq!(evil_group.schedules.iter().map(|s| s.id).collect::<Vec<_>>(), [6]);

        let hb = crate::web::pages::templates().unwrap();
        let html = hb.render("dashboard_main", &view).unwrap();
        assert_escaped(&html);
        let header = html.split(r#"aria-label="Schedules of cloud""#).nth(1).unwrap();
        let header = header.split("</ul>").next().unwrap();
        assert!(header.contains(r##"<a href="#s-3">Restart in order</a>"##), "{header}");
        assert!(
            header.contains(&format!("{} <span class=\"muted\">(Europe/Lisbon)</span>", row.when)),
            "{header}"
        );
        assert!(
            header.contains(&format!("(<span data-rel=\"{}\">", first.next.as_ref().unwrap().iso)),
            "{header}"
        );
        assert!(header
            .contains(r##"<a href="#s-4" title="stop db, then restart nextcloud">Chain of 2 steps</a>"##));
        assert!(
            header.contains("Disabled") && !header.contains("#s-5") && !header.contains("#s-1\""),
            "{header}"
        );
        assert!(!html.contains("Schedules of Other containers"));
    }

    #[test]
    fn groups_counts_and_coming_up() {
        let view = build(sample(Ok(containers())), now());
        let titles: Vec<&str> = view.groups.iter().map(|g| g.title.as_str()).collect();
        assert_eq!(titles, vec![EVIL, "cloud", "Other containers"]);
        assert_eq!(view.groups[1].summary, "1 running");
        assert_eq!((view.counts.running, view.counts.paused, view.counts.stopped), (1, 1, 1));
        assert_eq!(
            view.groups[2].containers[0].buttons.iter().map(|b| b.action).collect::<Vec<_>>(),
            ["unpause", "stop"]
        );
        // 03:00 Lisbon tomorrow is 4 h 12 min away; the every-15-minutes schedule shows 3 runs only
        let first_nextcloud = view.upcoming.iter().find(|u| u.container == "nextcloud").unwrap();
        assert_eq!(first_nextcloud.time.rel, "in 4 h 12 min");
        assert_eq!(first_nextcloud.time.short, "Tue 03:00");
        assert_eq!(view.upcoming.len(), 4);
        assert!(view.upcoming_capped);
        assert_eq!(view.groups[1].containers[0].next.as_ref().unwrap().time.rel, "in 4 h 12 min");
        assert_eq!(view.groups[1].containers[0].uptime, "Up 2 h");
    }

    #[test]
    fn the_filter_hides_what_does_not_match() {
        let mut input = sample(Ok(containers()));
        input.q = "NEXT".into();
        input.state = "running".into();
        let view = build(input, now());
        let visible: Vec<&str> = view
            .groups
            .iter()
            .flat_map(|g| &g.containers)
            .filter(|c| !c.hidden)
            .map(|c| c.name.as_str())
            .collect();
        assert_eq!(visible, ["nextcloud"]);
        assert!(view.groups[2].hidden);
        assert_eq!(view.schedules.iter().filter(|s| !s.hidden).count(), 1);
        assert!(view.state_options.iter().any(|o| o.value == "running" && o.selected));
    }

    #[test]
    fn docker_unreachable_shows_a_banner_and_keeps_schedules() {
        let hb = crate::web::pages::templates().unwrap();
        let mut input = sample(Err(AppError::DockerUnreachable("connection refused".into())));
        input.health = DockerHealth {
            status: "unreachable",
            api_version: None,
            engine_version: None,
            error: Some("connection refused".into()),
        };
        let view = build(input, now());
        assert!(!view.schedules[0].container_missing);
        let html = hb.render("dashboard_main", &view).unwrap();
        assert!(html.contains("Docker unreachable"));
        assert!(html.contains("connection refused"));
        assert_escaped(&html);
    }

    #[test]
    fn many_schedules_list_a_page_and_the_search_looks_through_all() {
        let many = |q: &str| {
            let mut input = sample(Ok(containers()));
            input.schedules = (1..=250).map(|i| schedule(i, &format!("app{i:03}"), "0 3 * * *")).collect();
            input.q = q.into();
            build(input, now())
        };
        let view = many("");
        assert_eq!(view.schedules.len(), SCHEDULES_SHOWN);
        assert_eq!(view.schedules_left_out, 50);
        assert_eq!(view.schedules[0].container, "app001");
        let view = many("app24");
        let shown: Vec<&str> = view.schedules.iter().map(|s| s.container.as_str()).collect();
        assert_eq!(
            shown,
            [
                "app240", "app241", "app242", "app243", "app244", "app245", "app246", "app247", "app248",
                "app249"
            ]
        );
        assert_eq!(view.schedules_left_out, 0);
        assert!(!view.no_schedule_matches);
        let view = many("nothing-like-it");
        assert!(view.schedules.is_empty() && view.no_schedule_matches);
        let hb = crate::web::pages::templates().unwrap();
        let html = hb.render("dashboard_main", &many("")).unwrap();
        assert!(html.contains("50 more not listed here"), "the rest are counted");
        assert!(!html.contains("No schedules yet"));
    }

    #[test]
    fn coming_up_is_the_first_runs_of_all_schedules() {
        // every run of the next 24 h of each schedule, at most three of one: the list's definition
        let crons = ["*/7 * * * *", "0 3 * * *", "30 4 * * *", "*/20 * * * *", "0 */2 * * *", "15 4 * * 1-5"];
        let schedules: Vec<Schedule> = (0..40)
            .map(|i| {
                let mut s = schedule(i + 1, &format!("c{i}"), crons[i as usize % crons.len()]);
                s.enabled = i % 9 != 0;
                s
            })
            .collect();
        let tz = |s: &Schedule| crate::cron::parse_timezone(&s.timezone).unwrap();
        let (list, capped) = upcoming(&schedules, &tz, chrono_tz::UTC, now());
        let end = now() + Duration::hours(HORIZON_HOURS);
        let mut all: Vec<(DateTime<Utc>, i32)> = Vec::new();
        for s in schedules.iter().filter(|s| s.enabled) {
            let cron = CronExpr::parse(s.cron.as_deref().unwrap()).unwrap();
            let mut t = now();
            for _ in 0..RUNS_PER_SCHEDULE {
                match cron.next_after(tz(s), t) {
                    Some(next) if next <= end => {
                        all.push((next, s.id.0));
                        t = next;
                    }
                    _ => break,
                }
            }
        }
        all.sort();
        let expected: Vec<(String, i32)> =
            all.iter().take(UPCOMING_MAX).map(|(t, id)| (crate::time::rfc3339(t), *id)).collect();
        let got: Vec<(String, i32)> = list.iter().map(|u| (u.time.iso.clone(), u.schedule_id)).collect();
        assert_eq!(got, expected);
        assert!(capped);
    }
}
