//! `GET /stats`: the statistics as an inline SVG bar chart (a `<title>` per bar, a table beside
//! it for screen readers and text browsers) and tables per schedule and per container. With
//! several hosts, links pick one host (or all) and the container tables name each row's host.

use std::collections::HashMap;

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;

use super::format::{duration_ms, query_string, url_encode};
use super::Common;
use crate::store::stats::{DayCounts, Stats};
use crate::web::api::stats::StatsParams;
use crate::web::identity::PageAuth;
use crate::web::AppState;

/// The chart's drawing box: one 10-unit slot per day, bars 100 units tall at most.
const SLOT: usize = 10;
const HEIGHT: f64 = 100.0;

#[derive(Debug, Serialize)]
pub struct StatsPage {
    #[serde(flatten)]
    common: Common,
    auth: PageAuth,
    /// The host shown, empty for all (the form keeps it).
    host: String,
    /// All hosts and each host, when there are several; empty with `local` alone.
    host_links: Vec<HostLink>,
    /// Several hosts: the container tables have a host column.
    several_hosts: bool,
    days: usize,
    width: usize,
    bars: Vec<Bar>,
    first_day: String,
    last_day: String,
    max_total: i64,
    schedules: Vec<ScheduleView>,
    containers: Vec<ContainerView>,
    flapping: Vec<FlappingView>,
}

#[derive(Debug, Serialize)]
struct Bar {
    x: usize,
    date: String,
    title: String,
    success: i64,
    error: i64,
    skipped: i64,
    missed: i64,
    gave_up: i64,
    segments: Vec<Segment>,
}

#[derive(Debug, Serialize)]
struct Segment {
    x: usize,
    y: String,
    height: String,
    class: &'static str,
}

#[derive(Debug, Serialize)]
struct ScheduleView {
    id: i32,
    name: String,
    href: String,
    runs: i64,
    success_rate: String,
    p50: String,
    p95: String,
    last_failure: String,
}

#[derive(Debug, Serialize)]
struct HostLink {
    label: String,
    href: String,
    current: bool,
}

#[derive(Debug, Serialize)]
struct ContainerView {
    host: String,
    name: String,
    href: String,
    schedule: i64,
    manual: i64,
    health: i64,
    window: i64,
}

#[derive(Debug, Serialize)]
struct FlappingView {
    host: String,
    name: String,
    date: String,
    restarts: i64,
}

pub async fn page(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let result = async {
        let params: StatsParams = super::query(&req)?;
        let (stats, host) = crate::web::api::stats::load(&state, &params).await?;
        let names: HashMap<i32, String> = crate::store::schedules::list(&state.actors.store)
            .await?
            .into_iter()
            .map(|s| (s.id.0, format!("{} of {}", s.action, s.container_name)))
            .collect();
        let hosts: Vec<String> = state.actors.hosts.all().into_iter().map(|(h, _)| h.to_string()).collect();
        let host = host.map(|h| h.to_string()).unwrap_or_default();
        let mut view = build(&stats, &names, &hosts, &host);
        view.auth = PageAuth::of(&req);
        super::render(&state.templates, "stats", &view)
    }
    .await;
    super::respond(&state, &req, result)
}

fn bar(day: &DayCounts, x: usize, max: i64) -> Bar {
    let mut segments = Vec::new();
    let mut top = HEIGHT;
    for (n, class) in [
        (day.success, "bar-success"),
        (day.error, "bar-error"),
        (day.skipped, "bar-skipped"),
        (day.missed, "bar-missed"),
        (day.gave_up, "bar-gave-up"),
    ] {
        if n == 0 {
            continue;
        }
        let h = n as f64 / max as f64 * HEIGHT;
        top -= h;
        segments.push(Segment { x: x + 1, y: format!("{top:.2}"), height: format!("{h:.2}"), class });
    }
    Bar {
        x,
        date: day.date.to_string(),
        title: format!(
            "{}: {} succeeded, {} failed, {} skipped, {} missed, {} gave up",
            day.date, day.success, day.error, day.skipped, day.missed, day.gave_up
        ),
        success: day.success,
        error: day.error,
        skipped: day.skipped,
        missed: day.missed,
        gave_up: day.gave_up,
        segments,
    }
}

/// The links that pick a host (kept with the number of days), when there are several hosts.
fn host_links(hosts: &[String], host: &str, days: usize) -> Vec<HostLink> {
    if hosts.len() < 2 {
        return Vec::new();
    }
    let days = days.to_string();
    let link = |label: &str, value: &str| HostLink {
        label: label.to_string(),
        href: format!("/stats{}", query_string(&[("days", &days), ("host", value)])),
        current: host == value,
    };
    std::iter::once(link("All hosts", "")).chain(hosts.iter().map(|h| link(h, h))).collect()
}

/// The view of `stats` (of `host`, empty for all, among `hosts`); `names` labels schedules that
/// still exist.
pub fn build(stats: &Stats, names: &HashMap<i32, String>, hosts: &[String], host: &str) -> StatsPage {
    let max = stats.days.iter().map(DayCounts::total).max().unwrap_or(0).max(1);
    let bars = stats.days.iter().enumerate().map(|(i, d)| bar(d, i * SLOT, max)).collect();
    let logs_of = |name: &str| format!("/logs?container={}", url_encode(name));
    StatsPage {
        common: Common::new("Statistics", "stats"),
        auth: PageAuth::default(),
        host: host.to_string(),
        host_links: host_links(hosts, host, stats.days.len()),
        several_hosts: hosts.len() > 1,
        days: stats.days.len(),
        width: stats.days.len() * SLOT,
        bars,
        first_day: stats.days.first().map(|d| d.date.to_string()).unwrap_or_default(),
        last_day: stats.days.last().map(|d| d.date.to_string()).unwrap_or_default(),
        max_total: max,
        schedules: stats
            .schedules
            .iter()
            .map(|s| ScheduleView {
                id: s.id,
                name: names.get(&s.id).cloned().unwrap_or_else(|| format!("#{} (deleted)", s.id)),
                href: format!("/logs?schedule_id={}", s.id),
                runs: s.runs,
                success_rate: format!("{:.1} %", s.success_rate * 100.0),
                p50: s.p50_ms.map(duration_ms).unwrap_or_else(|| "—".into()),
                p95: s.p95_ms.map(duration_ms).unwrap_or_else(|| "—".into()),
                last_failure: s
                    .last_failure
                    .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
                    .unwrap_or_default(),
            })
            .collect(),
        containers: stats
            .containers
            .iter()
            .map(|c| ContainerView {
                host: c.host.to_string(),
                name: c.container.clone(),
                href: logs_of(&c.container),
                schedule: c.restarts.schedule,
                manual: c.restarts.manual,
                health: c.restarts.health,
                window: c.restarts.window,
            })
            .collect(),
        flapping: stats
            .flapping
            .iter()
            .map(|f| FlappingView {
                host: f.host.to_string(),
                name: f.container.clone(),
                date: f.date.to_string(),
                restarts: f.restarts,
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{assert_escaped, EVIL};
    use super::*;
    use crate::domain::HostId;
    use crate::store::stats::{ContainerStats, Flapping, Restarts};
    use chrono::NaiveDate;

    #[test]
    fn the_chart_has_a_titled_bar_per_day_and_names_are_escaped() {
        let date = |d| NaiveDate::from_ymd_opt(2026, 3, d).unwrap();
        let stats = Stats {
            days: vec![
                DayCounts { date: date(1), success: 3, error: 1, ..Default::default() },
                DayCounts { date: date(2), ..Default::default() },
                DayCounts { date: date(3), success: 1, gave_up: 1, ..Default::default() },
            ],
            schedules: vec![],
            containers: vec![ContainerStats {
                host: HostId::local(),
                container: EVIL.into(),
                restarts: Restarts::default(),
            }],
            flapping: vec![Flapping {
                host: HostId::local(),
                container: EVIL.into(),
                date: date(1),
                restarts: 4,
            }],
        };
        let view = build(&stats, &HashMap::new(), &["local".into()], "");
        assert_eq!(view.bars[0].segments.len(), 2);
        assert_eq!(view.bars[0].segments[0].height, "75.00");
        assert!(view.bars[1].segments.is_empty());
        // autoheal giving up is its own segment, not "missed"
        let classes: Vec<&str> = view.bars[2].segments.iter().map(|s| s.class).collect();
        assert_eq!(classes, ["bar-success", "bar-gave-up"]);
        assert_eq!((view.bars[2].missed, view.bars[2].gave_up), (0, 1));
        let html = crate::web::pages::templates().unwrap().render("stats", &view).unwrap();
        assert_escaped(&html);
        assert!(
            html.contains("<title>2026-03-01: 3 succeeded, 1 failed, 0 skipped, 0 missed, 0 gave up</title>"),
            "{html}"
        );
        // with local alone nothing says "host"
        assert!(view.host_links.is_empty() && !html.contains("stats-hosts"), "{html}");
    }

    #[test]
    fn several_hosts_get_a_filter_and_a_host_column() {
        let date = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
        let row = |host: &str| ContainerStats {
            host: HostId(host.into()),
            container: "web".into(),
            restarts: Restarts { manual: 1, ..Default::default() },
        };
        let stats = Stats {
            days: vec![DayCounts { date, ..Default::default() }],
            schedules: vec![],
            containers: vec![row("local"), row(EVIL)],
            flapping: vec![],
        };
        let hosts = vec!["local".to_string(), EVIL.to_string()];
        let view = build(&stats, &HashMap::new(), &hosts, EVIL);
        let links: Vec<(&str, bool)> = view.host_links.iter().map(|l| (l.href.as_str(), l.current)).collect();
        let evil = format!("/stats?days=1&host={}", url_encode(EVIL));
        assert_eq!(
            links,
            [("/stats?days=1", false), ("/stats?days=1&host=local", false), (evil.as_str(), true)]
        );
        let html = crate::web::pages::templates().unwrap().render("stats", &view).unwrap();
        assert_escaped(&html);
        assert!(html.contains(r#"<nav class="stats-hosts toolbar" aria-label="Host">"#), "{html}");
        assert!(html.contains(r#"aria-current="page""#), "{html}");
        assert!(html.contains(r#"<th scope="col">Host</th>"#), "{html}");
        assert!(html.contains(r#"<input type="hidden" name="host""#), "the days form keeps the host: {html}");
    }
}
