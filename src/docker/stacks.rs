//! Compose stacks, read from the containers' labels: a stack is the containers of one
//! `com.docker.compose.project` on a host; `com.docker.compose.depends_on` (`svc:condition:restart`,
//! or older compose's bare names) and `network_mode: container:`/`service:` are its edges. Pure:
//! the graph, its order (every container after those it depends on, a cycle reported rather than
//! looped on), the steps of a stack action and who must restart with a container.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;

use super::entry::Entry;
use crate::domain::{Action, Condition, Dependency, HostId, Stack, StackService, Step, Target, Wait};
use crate::error::AppError;
use crate::text::clip;

pub const COMPOSE_DEPENDS_ON: &str = "com.docker.compose.depends_on";
/// Labels are untrusted: at most this many dependencies are read, each name clipped.
const MAX_DEPENDENCIES: usize = 64;
const MAX_NAME: usize = 128;

/// What a container says about the containers it needs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Links {
    pub depends_on: Vec<Dependency>,
    /// Whose network namespace it shares (`HostConfig.NetworkMode`).
    pub network: Option<NetworkOf>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NetworkOf {
    /// `container:<id or name>`, what the Engine keeps (compose writes its `service:` this way).
    Container(String),
    /// `service:<name>`.
    Service(String),
}

impl Links {
    pub fn read(depends_on: Option<&str>, network_mode: Option<&str>) -> Links {
        Links {
            depends_on: depends_on.map(parse_depends_on).unwrap_or_default(),
            network: network_mode.and_then(parse_network_mode),
        }
    }
}

/// `db:service_healthy:true,cache:service_started:false` (compose v2), `db:service_healthy`
/// (early v2) or `db,cache` (older): an unknown condition counts as started.
pub fn parse_depends_on(label: &str) -> Vec<Dependency> {
    let mut out: Vec<Dependency> = Vec::new();
    for item in label.split(',').map(str::trim).filter(|s| !s.is_empty()).take(MAX_DEPENDENCIES) {
        let mut parts = item.splitn(3, ':');
        let service = clip(parts.next().unwrap_or("").trim(), MAX_NAME).to_string();
        let condition = match parts.next().map(str::trim) {
            Some("service_healthy") => Condition::ServiceHealthy,
            Some("service_completed_successfully") => Condition::ServiceCompletedSuccessfully,
            _ => Condition::ServiceStarted,
        };
        let restart = parts.next().map(str::trim) == Some("true");
        if !service.is_empty() && !out.iter().any(|d| d.service == service) {
            out.push(Dependency { service, condition, restart });
        }
    }
    out
}

pub fn parse_network_mode(mode: &str) -> Option<NetworkOf> {
    let (kind, what) = mode.split_once(':')?;
    let what = clip(what.trim(), MAX_NAME).to_string();
    match kind {
        _ if what.is_empty() => None,
        "container" => Some(NetworkOf::Container(what)),
        "service" => Some(NetworkOf::Service(what)),
        _ => None,
    }
}

/// The container `reference` (an ID, a unique ID prefix or a name) among `all`.
fn find<'a>(all: &[&'a Entry], reference: &str) -> Option<&'a Entry> {
    all.iter().copied().find(|e| e.id == reference || e.name == reference).or_else(|| {
        let mut prefixed =
            all.iter().copied().filter(|e| reference.len() >= 4 && e.id.starts_with(reference));
        match (prefixed.next(), prefixed.next()) {
            (Some(one), None) => Some(one),
            _ => None,
        }
    })
}

fn service_of(e: &Entry) -> String {
    e.compose_service.clone().unwrap_or_else(|| e.name.clone())
}

/// Every compose project among `entries`, sorted by name.
pub fn build<'a>(host: &HostId, entries: impl Iterator<Item = &'a Entry>) -> Vec<Stack> {
    let all: Vec<&Entry> = entries.collect();
    let mut projects: BTreeMap<&str, Vec<&Entry>> = BTreeMap::new();
    for e in &all {
        if let Some(p) = e.compose_project.as_deref() {
            projects.entry(p).or_default().push(e);
        }
    }
    projects.into_iter().map(|(name, members)| stack(host, name, members, &all)).collect()
}

/// One project's graph over its containers (sorted by service, then name).
fn stack(host: &HostId, name: &str, mut members: Vec<&Entry>, all: &[&Entry]) -> Stack {
    members.sort_by(|a, b| service_of(a).cmp(&service_of(b)).then_with(|| a.name.cmp(&b.name)));
    let services: Vec<String> = members.iter().map(|e| service_of(e)).collect();
    let deps: Vec<Vec<Dependency>> =
        members.iter().map(|e| dependencies(e, &services, &members, all)).collect();
    // container i needs container j when j's service is one of i's dependencies
    let needs: Vec<Vec<usize>> = deps
        .iter()
        .enumerate()
        .map(|(i, deps)| {
            (0..members.len())
                .filter(|&j| {
                    j != i && deps.iter().any(|d| d.service == services[j]) && services[j] != services[i]
                })
                .collect()
        })
        .collect();
    let (order, cycle) = match topological(&needs) {
        Ok(order) => (order, None),
        Err(cycle) => {
            let names: Vec<String> = cycle.iter().map(|&i| services[i].clone()).collect();
            ((0..members.len()).collect(), Some(names))
        }
    };
    let mut service_order: Vec<String> = Vec::new();
    for &i in &order {
        if !service_order.contains(&services[i]) {
            service_order.push(services[i].clone());
        }
    }
    Stack {
        host: host.clone(),
        name: name.to_string(),
        services: order
            .iter()
            .map(|&i| StackService {
                service: services[i].clone(),
                container: members[i].name.clone(),
                container_id: members[i].id.clone(),
                state: members[i].state.clone(),
                health: members[i].health.clone(),
                depends_on: deps[i].clone(),
            })
            .collect(),
        order: if cycle.is_some() { Vec::new() } else { service_order },
        cycle,
    }
}

/// A container's dependencies within its stack: its labels', then the one whose network it shares
/// (which must restart with it: its network namespace goes when that one stops).
fn dependencies(e: &Entry, services: &[String], members: &[&Entry], all: &[&Entry]) -> Vec<Dependency> {
    let mut deps: Vec<Dependency> =
        e.links.depends_on.iter().filter(|d| services.contains(&d.service)).cloned().collect();
    let network_service = match &e.links.network {
        Some(NetworkOf::Service(s)) => Some(s.clone()),
        Some(NetworkOf::Container(r)) => {
            find(all, r).filter(|n| members.iter().any(|m| m.id == n.id)).map(service_of)
        }
        None => None,
    };
    if let Some(service) = network_service.filter(|s| services.contains(s) && *s != service_of(e)) {
        match deps.iter_mut().find(|d| d.service == service) {
            Some(d) => d.restart = true,
            None => deps.push(Dependency { service, condition: Condition::ServiceStarted, restart: true }),
        }
    }
    deps
}

/// Kahn's order over `needs[i]` (the nodes node i needs), the lowest ready index first, so the
/// order is stable. `Err` holds one cycle, its first node again at the end.
pub fn topological(needs: &[Vec<usize>]) -> Result<Vec<usize>, Vec<usize>> {
    let n = needs.len();
    let mut missing: Vec<usize> = needs.iter().map(Vec::len).collect();
    let mut needed_by: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, ns) in needs.iter().enumerate() {
        for &j in ns {
            needed_by[j].push(i);
        }
    }
    let mut ready: BTreeSet<usize> = (0..n).filter(|&i| missing[i] == 0).collect();
    let mut order = Vec::with_capacity(n);
    while let Some(i) = ready.pop_first() {
        order.push(i);
        for &k in &needed_by[i] {
            missing[k] -= 1;
            if missing[k] == 0 {
                ready.insert(k);
            }
        }
    }
    if order.len() == n {
        return Ok(order);
    }
    // every node left needs another node left: walk until one repeats
    let left: Vec<bool> = missing.iter().map(|&m| m > 0).collect();
    let mut seen: HashMap<usize, usize> = HashMap::new();
    let mut path = Vec::new();
    let mut at = (0..n).find(|&i| left[i]).unwrap_or(0);
    while let std::collections::hash_map::Entry::Vacant(v) = seen.entry(at) {
        v.insert(path.len());
        path.push(at);
        at = needs[at].iter().copied().find(|&j| left[j]).unwrap_or(at);
    }
    let mut cycle = path.split_off(seen[&at]);
    cycle.push(at);
    Err(cycle)
}

/// A stack's containers as steps: stop in reverse order, start in order, and restart as a stop of
/// all then a start of all. A started container that others need waits for the strongest
/// condition they ask of it (at most `timeout`) before the next starts.
pub fn plan(stack: &Stack, action: Action, timeout: Duration) -> Result<Vec<Step>, AppError> {
    if let Some(cycle) = &stack.cycle {
        return Err(AppError::Conflict {
            code: "dependency_cycle",
            message: format!(
                "stack {} cannot be ordered: its services depend on each other in a cycle ({})",
                stack.name,
                cycle.join(" → ")
            ),
        });
    }
    let step = |s: &StackService, action: Action, wait: Wait| Step {
        target: Target::container(stack.host.clone(), s.container.clone()),
        action,
        wait,
        timeout,
        with_dependents: false,
    };
    let stops = || stack.services.iter().rev().map(|s| step(s, Action::Stop, Wait::None));
    let starts = || {
        stack.services.iter().map(|s| {
            let wanted = stack
                .services
                .iter()
                .flat_map(|other| other.depends_on.iter())
                .filter(|d| d.service == s.service)
                .map(|d| d.condition)
                .max();
            step(s, Action::Start, wanted.map_or(Wait::None, Condition::wait))
        })
    };
    match ordered(action)? {
        Action::Stop => Ok(stops().collect()),
        Action::Start => Ok(starts().collect()),
        _ => Ok(stops().chain(starts()).collect()),
    }
}

/// Restart, stop and start have an order; pause and unpause do not (400 `invalid_action`).
pub fn ordered(action: Action) -> Result<Action, AppError> {
    match action {
        Action::Restart | Action::Stop | Action::Start => Ok(action),
        Action::Pause | Action::Unpause => Err(AppError::invalid(
            "invalid_action",
            Some("action"),
            format!("action: a stack can be restarted, stopped or started in order, not {action}d"),
        )),
    }
}

/// The stack `name` among a host's, else 404 `stack_not_found`.
pub fn named(stacks: Vec<Stack>, host: &HostId, name: &str) -> Result<Stack, AppError> {
    stacks.into_iter().find(|s| s.name == name).ok_or_else(|| {
        AppError::not_found(
            "stack_not_found",
            format!("No compose project {:?} on host {host}", clip(name, 80)),
        )
    })
}

/// Whether `e` must restart when `of` does: it shares `of`'s network namespace, or it is in
/// `of`'s stack with a dependency on `of`'s service that says `restart: true`.
fn restarts_with(e: &Entry, of: &Entry, all: &[&Entry]) -> bool {
    let same_project = e.compose_project.is_some() && e.compose_project == of.compose_project;
    let network = match &e.links.network {
        Some(NetworkOf::Container(r)) => find(all, r).is_some_and(|n| n.id == of.id),
        Some(NetworkOf::Service(s)) => same_project && *s == service_of(of),
        None => false,
    };
    network || (same_project && e.links.depends_on.iter().any(|d| d.restart && d.service == service_of(of)))
}

/// The containers that must restart with `reference`, and theirs in turn, in the order they
/// start again (nearest first, then by name). `None` when there is no such container.
pub fn dependents<'a>(
    entries: impl Iterator<Item = &'a Entry>,
    reference: &str,
) -> Option<(String, Vec<String>)> {
    let all: Vec<&Entry> = entries.collect();
    let target = find(&all, reference)?;
    let mut chosen: Vec<&Entry> = vec![target];
    let mut level = 0;
    while level < chosen.len() {
        let from = chosen[level..].to_vec();
        level = chosen.len();
        let mut next: Vec<&Entry> = all
            .iter()
            .copied()
            .filter(|e| {
                !chosen.iter().any(|c| c.id == e.id) && from.iter().any(|of| restarts_with(e, of, &all))
            })
            .collect();
        next.sort_by(|a, b| a.name.cmp(&b.name));
        chosen.extend(next);
    }
    Some((target.name.clone(), chosen[1..].iter().map(|e| e.name.clone()).collect()))
}

/// A restart of `target` with its `dependents`: stop them (the last first), restart it, start them.
pub fn plan_with_dependents(
    host: &HostId,
    target: &str,
    dependents: &[String],
    timeout: Duration,
) -> Vec<Step> {
    let step = |name: &String, action: Action| Step {
        target: Target::container(host.clone(), name.clone()),
        action,
        wait: Wait::None,
        timeout,
        with_dependents: false,
    };
    let stops = dependents.iter().rev().map(|d| step(d, Action::Stop));
    let starts = dependents.iter().map(|d| step(d, Action::Start));
    stops.chain(std::iter::once(step(&target.to_string(), Action::Restart))).chain(starts).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Utc};

    fn entry(id: &str, project: &str, service: &str, depends_on: &str, network: &str) -> Entry {
        Entry {
            id: id.into(),
            name: format!("{project}-{service}-1"),
            image: "busybox".into(),
            state: "running".into(),
            health: None,
            compose_project: Some(project.into()),
            compose_service: Some(service.into()),
            created: DateTime::<Utc>::default(),
            started_at: None,
            finished_at: None,
            exit_code: 0,
            links: Box::new(Links::read(Some(depends_on), Some(network))),
            swarm_service: None,
        }
    }

    fn one(entries: &[Entry]) -> Stack {
        build(&HostId::local(), entries.iter()).remove(0)
    }

    #[test]
    fn labels_of_every_compose_version_are_read() {
        let v2 = parse_depends_on("db:service_healthy:true,migrate:service_completed_successfully:false");
        assert_eq!(
            v2,
            [
                Dependency { service: "db".into(), condition: Condition::ServiceHealthy, restart: true },
                Dependency {
                    service: "migrate".into(),
                    condition: Condition::ServiceCompletedSuccessfully,
                    restart: false
                },
            ]
        );
        let early = parse_depends_on("db:service_started");
        assert_eq!(early[0].condition, Condition::ServiceStarted);
        let bare = parse_depends_on("db, cache,,db");
        assert_eq!(bare.iter().map(|d| d.service.as_str()).collect::<Vec<_>>(), ["db", "cache"]);
        assert!(bare.iter().all(|d| d.condition == Condition::ServiceStarted && !d.restart));
        assert!(parse_depends_on("").is_empty());
        assert_eq!(parse_depends_on(&"x,".repeat(1000)).len(), 1);
        assert_eq!(parse_network_mode("container:4f1c"), Some(NetworkOf::Container("4f1c".into())));
        assert_eq!(parse_network_mode("service:vpn"), Some(NetworkOf::Service("vpn".into())));
        assert_eq!(parse_network_mode("bridge"), None);
        assert_eq!(parse_network_mode("container:"), None);
    }

    #[test]
    fn dependencies_come_first_and_ties_go_by_name() {
        let s = one(&[
            entry("1", "shop", "web", "app:service_started:false", ""),
            entry("2", "shop", "app", "db:service_healthy:false,cache", ""),
            entry("3", "shop", "db", "", ""),
            entry("4", "shop", "cache", "", ""),
        ]);
        assert_eq!(s.order, ["cache", "db", "app", "web"]);
        assert_eq!(s.cycle, None);
        assert_eq!(s.services[2].depends_on.len(), 2);
    }

    #[test]
    fn a_shared_network_is_an_edge_that_restarts() {
        let vpn = entry("aaaa1111", "media", "vpn", "", "");
        let by_id = entry("bbbb2222", "media", "torrent", "", "container:aaaa1111");
        let by_service = entry("cccc3333", "media", "browser", "", "service:vpn");
        let s = one(&[by_id, by_service, vpn]);
        assert_eq!(s.order, ["vpn", "browser", "torrent"]);
        let torrent = s.services.iter().find(|x| x.service == "torrent").unwrap();
        assert_eq!(
            torrent.depends_on,
            [Dependency { service: "vpn".into(), condition: Condition::ServiceStarted, restart: true }]
        );
    }

    #[test]
    fn a_cycle_is_reported_not_looped_on() {
        let s = one(&[
            entry("1", "loop", "a", "b", ""),
            entry("2", "loop", "b", "c", ""),
            entry("3", "loop", "c", "a", ""),
            entry("4", "loop", "d", "", ""),
        ]);
        assert_eq!(s.order, Vec::<String>::new());
        assert_eq!(s.cycle.clone().unwrap(), ["a", "b", "c", "a"]);
        let e = plan(&s, Action::Restart, Duration::from_secs(5)).unwrap_err();
        assert_eq!(e.code(), "dependency_cycle");
        assert!(e.to_string().contains("a → b → c → a"), "{e}");
        assert_eq!(topological(&[vec![0]]), Err(vec![0, 0]), "a node that needs itself");
    }

    #[test]
    fn dependents_are_the_network_sharers_and_restart_true_ones_transitively() {
        let mut sidecar = entry("dddd4444", "", "", "", "container:vpn-box");
        sidecar.compose_project = None;
        sidecar.name = "sidecar".into();
        let mut vpn = entry("aaaa1111", "media", "vpn", "", "");
        vpn.name = "vpn-box".into();
        let all = [
            vpn,
            entry("bbbb2222", "media", "torrent", "", "container:aaaa1111"),
            entry("cccc3333", "media", "indexer", "torrent:service_started:true", ""),
            entry("eeee5555", "media", "ui", "torrent:service_started:false", ""),
            sidecar,
        ];
        let (name, deps) = dependents(all.iter(), "vpn-box").unwrap();
        assert_eq!(name, "vpn-box");
        assert_eq!(deps, ["media-torrent-1", "sidecar", "media-indexer-1"]);
        assert_eq!(dependents(all.iter(), "media-ui-1").unwrap().1, Vec::<String>::new());
        assert!(dependents(all.iter(), "nothing").is_none());
        let steps = plan_with_dependents(&HostId::local(), &name, &deps, Duration::from_secs(1));
        let seen: Vec<(&str, Action)> = steps.iter().map(|s| (s.target.display_name(), s.action)).collect();
        assert_eq!(
            seen,
            [
                ("media-indexer-1", Action::Stop),
                ("sidecar", Action::Stop),
                ("media-torrent-1", Action::Stop),
                ("vpn-box", Action::Restart),
                ("media-torrent-1", Action::Start),
                ("sidecar", Action::Start),
                ("media-indexer-1", Action::Start),
            ]
        );
    }

    #[test]
    fn restart_stops_in_reverse_then_starts_in_order_with_waits() {
        let s = one(&[
            entry("1", "shop", "web", "app", ""),
            entry("2", "shop", "app", "db:service_healthy:false", ""),
            entry("3", "shop", "db", "", ""),
        ]);
        let steps = plan(&s, Action::Restart, Duration::from_secs(7)).unwrap();
        let seen: Vec<(String, Action, Wait)> =
            steps.iter().map(|s| (s.target.display_name().to_string(), s.action, s.wait)).collect();
        let n = |svc: &str| format!("shop-{svc}-1");
        assert_eq!(
            seen,
            [
                (n("web"), Action::Stop, Wait::None),
                (n("app"), Action::Stop, Wait::None),
                (n("db"), Action::Stop, Wait::None),
                (n("db"), Action::Start, Wait::Healthy),
                (n("app"), Action::Start, Wait::None),
                (n("web"), Action::Start, Wait::None),
            ]
        );
        assert!(steps.iter().all(|s| s.timeout == Duration::from_secs(7)));
        assert_eq!(plan(&s, Action::Stop, Duration::ZERO).unwrap().len(), 3);
        assert_eq!(plan(&s, Action::Pause, Duration::ZERO).unwrap_err().code(), "invalid_action");
    }
}
