//! Which container a reference or a schedule means. Exact rules, applied to the cache: Docker's
//! own `name` filter is an unanchored regular expression and would match `web` in `web-old`.

use super::entry::Entry;
use crate::domain::ContainerRef;

#[derive(Debug, PartialEq, Eq)]
pub enum Resolved<'a> {
    Found(&'a Entry),
    /// Nothing matches; the message names what was asked for.
    Missing(String),
    /// More than one container matches; the message says so.
    Ambiguous(String),
}

pub fn missing_message(reference: &str) -> String {
    format!("No container is named {reference:?}")
}

/// A name (with or without Docker's leading '/'), a full ID, or a unique ID prefix, in that order.
pub fn by_ref<'a>(entries: impl IntoIterator<Item = &'a Entry> + Clone, reference: &str) -> Resolved<'a> {
    let wanted = reference.strip_prefix('/').unwrap_or(reference);
    if wanted.is_empty() {
        return Resolved::Missing(missing_message(reference));
    }
    if let Some(e) = entries.clone().into_iter().find(|e| e.name == wanted) {
        return Resolved::Found(e);
    }
    // IDs are lower-case hex: anything else can only have been meant as a name
    if !wanted.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
        return Resolved::Missing(missing_message(reference));
    }
    if let Some(e) = entries.clone().into_iter().find(|e| e.id == wanted) {
        return Resolved::Found(e);
    }
    let mut matches = entries.into_iter().filter(|e| e.id.starts_with(wanted));
    match (matches.next(), matches.next()) {
        (Some(e), None) => Resolved::Found(e),
        (Some(_), Some(_)) => Resolved::Ambiguous(format!(
            "The ID prefix {wanted:?} matches {} containers; give more of the ID, or the name",
            2 + matches.count()
        )),
        (None, _) => Resolved::Missing(missing_message(reference)),
    }
}

/// A schedule's container: by its name, else, when the schedule knows the compose project and
/// service, the one container carrying those labels (compose may have re-created it under a new
/// ID or name). Several candidates are an error rather than a guess.
pub fn by_target<'a>(
    entries: impl IntoIterator<Item = &'a Entry> + Clone,
    target: &ContainerRef,
) -> Resolved<'a> {
    let (name, project, service) = match target {
        ContainerRef::Ref(r) => return by_ref(entries, r),
        ContainerRef::Named { name, compose_project, compose_service } => {
            (name, compose_project, compose_service)
        }
    };
    let wanted = name.strip_prefix('/').unwrap_or(name);
    if let Some(e) = entries.clone().into_iter().find(|e| e.name == wanted) {
        return Resolved::Found(e);
    }
    let (Some(project), Some(service)) = (project, service) else {
        return Resolved::Missing(missing_message(name));
    };
    let mut matches = entries.into_iter().filter(|e| {
        e.compose_project.as_ref() == Some(project) && e.compose_service.as_ref() == Some(service)
    });
    match (matches.next(), matches.next()) {
        (Some(e), None) => Resolved::Found(e),
        (Some(_), Some(_)) => Resolved::Ambiguous(format!(
            "No container is named {name:?}, and {} containers belong to compose service {project}/{service}",
            2 + matches.count()
        )),
        (None, _) => Resolved::Missing(format!(
            "No container is named {name:?} or belongs to compose service {project}/{service}"
        )),
    }
}

/// Whether `reference` could name a container or an ID at all, so that a miss in the cache is
/// worth asking Docker about (Docker's own rule for names: `[a-zA-Z0-9][a-zA-Z0-9_.-]+`).
pub fn plausible(reference: &str) -> bool {
    let r = reference.strip_prefix('/').unwrap_or(reference);
    let mut bytes = r.bytes();
    r.len() <= 255
        && bytes.next().is_some_and(|b| b.is_ascii_alphanumeric())
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: &str, name: &str, compose: Option<(&str, &str)>) -> Entry {
        Entry {
            compose_project: compose.map(|c| c.0.into()),
            compose_service: compose.map(|c| c.1.into()),
            ..crate::docker::entry::test_entry(id, name, "running")
        }
    }

    fn fixture() -> Vec<Entry> {
        vec![
            entry("abc123000000", "web", Some(("shop", "web"))),
            entry("abd456000000", "web-old", None),
            entry("ff0000000000", "db", Some(("shop", "db"))),
            entry("ff0000000001", "cache", None),
        ]
    }

    fn found<'a>(r: Resolved<'a>) -> &'a str {
        match r {
            Resolved::Found(e) => &e.name,
            other => panic!("not found: {other:?}"),
        }
    }

    #[test]
    fn names_are_exact_with_or_without_slash() {
        let all = fixture();
        assert_eq!(found(by_ref(&all, "web")), "web");
        assert_eq!(found(by_ref(&all, "/web")), "web");
        assert_eq!(found(by_ref(&all, "web-old")), "web-old");
        assert_eq!(by_ref(&all, "we"), Resolved::Missing("No container is named \"we\"".into()));
        assert!(matches!(by_ref(&all, "WEB"), Resolved::Missing(_)));
        assert!(matches!(by_ref(&all, ""), Resolved::Missing(_)));
        assert!(matches!(by_ref(&all, "/"), Resolved::Missing(_)));
    }

    #[test]
    fn ids_resolve_in_full_or_by_unique_prefix() {
        let all = fixture();
        assert_eq!(found(by_ref(&all, "abc123000000")), "web");
        assert_eq!(found(by_ref(&all, "abc")), "web");
        assert_eq!(found(by_ref(&all, "abd4")), "web-old");
        assert_eq!(found(by_ref(&all, "ff0000000001")), "cache");
        match by_ref(&all, "ab") {
            Resolved::Ambiguous(m) => assert!(m.contains("matches 2 containers"), "{m}"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(by_ref(&all, "ff"), Resolved::Ambiguous(_)));
        assert!(matches!(by_ref(&all, "abcx"), Resolved::Missing(_)));
    }

    #[test]
    fn a_name_wins_over_an_id_prefix() {
        let all = vec![entry("beef00", "x", None), entry("0000aa", "beef", None)];
        assert_eq!(found(by_ref(&all, "beef")), "beef");
    }

    #[test]
    fn a_schedule_follows_its_compose_service_when_the_name_is_gone() {
        let mut all = fixture();
        let target = |name: &str| ContainerRef::Named {
            name: name.into(),
            compose_project: Some("shop".into()),
            compose_service: Some("web".into()),
        };
        assert_eq!(found(by_target(&all, &target("web"))), "web");
        // re-created by compose with a new name and ID
        all[0] = entry("999999999999", "shop_web_2", Some(("shop", "web")));
        assert_eq!(found(by_target(&all, &target("web"))), "shop_web_2");
        // a schedule never resolves by ID prefix
        assert!(matches!(
            by_target(
                &all,
                &ContainerRef::Named { name: "999".into(), compose_project: None, compose_service: None }
            ),
            Resolved::Missing(_)
        ));
        // two replicas: no guessing
        all.push(entry("888888888888", "shop_web_3", Some(("shop", "web"))));
        assert!(matches!(by_target(&all, &target("web")), Resolved::Ambiguous(_)));
        // another project's service of the same name is not a candidate
        let other = vec![entry("777", "x", Some(("blog", "web")))];
        assert!(matches!(by_target(&other, &target("web")), Resolved::Missing(_)));
    }

    #[test]
    fn only_docker_like_references_are_worth_a_lookup() {
        assert!(plausible("web"));
        assert!(plausible("/shop_web.1-a"));
        assert!(plausible("abc123"));
        assert!(!plausible(""));
        assert!(!plausible("-web"));
        assert!(!plausible("we b"));
        assert!(!plausible("web/../x"));
        assert!(!plausible(&"a".repeat(300)));
    }
}
