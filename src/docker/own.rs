//! Chrontainer's own container, so that it never stops or pauses itself: a stopped Chrontainer
//! cannot start itself again, and a paused one cannot unpause itself. It is found once at start-up,
//! from what the kernel says about this process; `CHRONTAINER_SELF_CONTAINER` (through `Config`)
//! names it when that is not enough.

use super::entry::Entry;
use super::resolve::{self, Resolved};
use crate::domain::Action;

/// How this process recognises its own container among a host's containers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum OwnContainer {
    /// Not in a container, or in one the kernel does not name.
    #[default]
    Unknown,
    /// The full ID, from `/proc/self/cgroup` or `/proc/self/mountinfo`.
    Id(String),
    /// The hostname, which Docker and podman set to the ID's first 12 hex digits unless told otherwise.
    Hostname(String),
    /// `CHRONTAINER_SELF_CONTAINER`: a name, a full ID or a unique ID prefix.
    Named(String),
}

impl OwnContainer {
    /// `named` when set (the operator knows best); else the container ID the kernel shows in
    /// this process's cgroup, else in its mounts; else the hostname when it looks like an ID.
    pub fn detect(named: Option<String>) -> OwnContainer {
        let read = |path: &str| std::fs::read_to_string(path).unwrap_or_default();
        let own = match named {
            Some(name) => OwnContainer::Named(name),
            None => id_in_cgroup(&read("/proc/self/cgroup"))
                .or_else(|| id_in_mountinfo(&read("/proc/self/mountinfo")))
                .map(OwnContainer::Id)
                .or_else(|| short_id(read("/proc/sys/kernel/hostname").trim()).map(OwnContainer::Hostname))
                .unwrap_or_default(),
        };
        let which = match &own {
            OwnContainer::Unknown => {
                log::info!(
                    "no container of its own found (cgroup, mounts, hostname): if Chrontainer runs in one, \
                     name it with CHRONTAINER_SELF_CONTAINER so that it is never stopped or paused"
                );
                return own;
            }
            OwnContainer::Id(id) => format!("{id} (from the kernel's cgroup or mounts)"),
            OwnContainer::Hostname(h) => format!("the one whose ID starts with {h} (its hostname)"),
            OwnContainer::Named(name) => format!("{name} (CHRONTAINER_SELF_CONTAINER)"),
        };
        log::info!("its own container is {which}: it will not stop or pause that one");
        own
    }

    /// Whether the container `id` is this process's own, among `entries` (the host's containers).
    pub fn is<'a>(&self, entries: impl IntoIterator<Item = &'a Entry> + Clone, id: &str) -> bool {
        match self {
            OwnContainer::Unknown => false,
            OwnContainer::Id(own) => own == id,
            OwnContainer::Hostname(prefix) => id.starts_with(prefix.as_str()),
            OwnContainer::Named(reference) => {
                matches!(resolve::by_ref(entries, reference), Resolved::Found(e) if e.id == id)
            }
        }
    }
}

/// Why `action` on its own container is refused; `None` for the actions it may do to itself
/// (a restart brings it back; start and unpause of a running container have nothing to do).
pub fn refusal(action: Action, name: &str) -> Option<String> {
    let why = match action {
        Action::Stop => "nothing would be left to start it again or to run the schedules",
        Action::Pause => "paused, it could never unpause itself",
        Action::Start | Action::Restart | Action::Unpause => return None,
    };
    Some(format!(
        "Chrontainer will not {action} its own container {name}: {why}. Use Docker itself for that \
         (restart is allowed)"
    ))
}

/// Docker's full container ID: 64 lower-case hex digits.
fn is_id(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// The ID's first 12 hex digits, as Docker and podman name a container's host by default.
fn short_id(hostname: &str) -> Option<String> {
    let hex = hostname.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    (hostname.len() == 12 && hex).then(|| hostname.to_string())
}

/// A container ID in `/proc/self/cgroup`, whose lines are `hierarchy:controllers:path`. The ID is
/// a path component of its own (`/docker/<id>`, cgroup v1; `/kubepods/…/<id>`) or the end of one
/// (`docker-<id>.scope` with systemd, `libpod-<id>.scope` for podman, `cri-containerd-<id>.scope`).
/// With cgroup v2 and a private cgroup namespace the path is only `/`: then the mounts tell.
pub fn id_in_cgroup(text: &str) -> Option<String> {
    text.lines().filter_map(|line| line.splitn(3, ':').nth(2)).find_map(|path| {
        path.rsplit('/').find_map(|part| {
            let part = part.strip_suffix(".scope").unwrap_or(part);
            let id = part.rsplit('-').next().unwrap_or(part);
            is_id(id).then(|| id.to_string())
        })
    })
}

/// A container ID in `/proc/self/mountinfo`: the engine bind-mounts `/etc/hostname`, `/etc/hosts`
/// and `/etc/resolv.conf` from the container's own directory (`…/docker/containers/<id>/hostname`,
/// podman's `…/overlay-containers/<id>/userdata/hostname`). Only those mounts are read: the root
/// mount names image layers, whose IDs look the same.
pub fn id_in_mountinfo(text: &str) -> Option<String> {
    text.lines().find_map(|line| {
        // ID parent major:minor root mount-point …
        let mut fields = line.split(' ').skip(3);
        let (root, mount_point) = (fields.next()?, fields.next()?);
        if !matches!(mount_point, "/etc/hostname" | "/etc/hosts" | "/etc/resolv.conf") {
            return None;
        }
        let parts: Vec<&str> = root.split('/').collect();
        parts.windows(2).find_map(|w| (w[0].ends_with("containers") && is_id(w[1])).then(|| w[1].to_string()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "4f1c3e0b9d8a7f6e5d4c3b2a1908f7e6d5c4b3a29180f7e6d5c4b3a291807f6e";

    #[test]
    fn cgroup_v1_names_the_container() {
        let text = format!(
            "12:pids:/docker/{ID}\n11:memory:/docker/{ID}\n1:name=systemd:/docker/{ID}\n0::/system.slice/containerd.service\n"
        );
        assert_eq!(id_in_cgroup(&text).as_deref(), Some(ID));
        let kubernetes =
            format!("4:memory:/kubepods/besteffort/pod0b7c0b2e-6d2c-4a1e-9f0c-1d2e3f4a5b6c/{ID}\n");
        assert_eq!(id_in_cgroup(&kubernetes).as_deref(), Some(ID));
    }

    #[test]
    fn cgroup_v2_in_the_hosts_namespace_names_the_scope() {
        assert_eq!(id_in_cgroup(&format!("0::/system.slice/docker-{ID}.scope\n")).as_deref(), Some(ID));
        // podman, rootful and rootless, with a sub-cgroup for the container's processes
        assert_eq!(
            id_in_cgroup(&format!("0::/machine.slice/libpod-{ID}.scope/container\n")).as_deref(),
            Some(ID)
        );
        let rootless =
            format!("0::/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-{ID}.scope\n");
        assert_eq!(id_in_cgroup(&rootless).as_deref(), Some(ID));
        assert_eq!(
            id_in_cgroup(&format!("0::/kubepods.slice/kubepods-pod1.slice/cri-containerd-{ID}.scope\n"))
                .as_deref(),
            Some(ID)
        );
    }

    #[test]
    fn a_private_cgroup_namespace_or_a_host_process_names_nothing() {
        assert_eq!(id_in_cgroup("0::/\n"), None);
        assert_eq!(id_in_cgroup("0::/user.slice/user-1000.slice/session-3.scope\n"), None);
        assert_eq!(id_in_cgroup("0::/system.slice/chrontainer.service\n"), None);
        // 32 hex digits are some other tool's name, not a container ID
        assert_eq!(id_in_cgroup("4:memory:/process_api/677e788e39c17033b7022ec3c617c887\n"), None);
        assert_eq!(id_in_cgroup(""), None);
    }

    #[test]
    fn mountinfo_names_the_container_by_its_hostname_file() {
        let layer = "a".repeat(64);
        let docker = format!(
            "1046 953 0:90 / / rw,relatime master:340 - overlay overlay rw,lowerdir=/var/lib/docker/overlay2/l/X,upperdir=/var/lib/docker/overlay2/{layer}/diff\n\
             1047 1046 0:93 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw\n\
             1070 1046 8:1 /var/lib/docker/containers/{ID}/resolv.conf /etc/resolv.conf rw,relatime - ext4 /dev/sda1 rw\n\
             1071 1046 8:1 /var/lib/docker/containers/{ID}/hostname /etc/hostname rw,relatime - ext4 /dev/sda1 rw\n"
        );
        assert_eq!(id_in_mountinfo(&docker).as_deref(), Some(ID));
        // /var/lib/docker on a partition of its own: the root is relative to it
        let own_partition =
            format!("612 590 259:2 /containers/{ID}/hosts /etc/hosts rw - ext4 /dev/nvme0n1p2 rw\n");
        assert_eq!(id_in_mountinfo(&own_partition).as_deref(), Some(ID));
        let podman = format!(
            "700 690 0:44 /containers/storage/overlay-containers/{ID}/userdata/hostname /etc/hostname rw - tmpfs tmpfs rw\n"
        );
        assert_eq!(id_in_mountinfo(&podman).as_deref(), Some(ID));
    }

    #[test]
    fn image_layers_and_host_mounts_are_not_a_container() {
        let layer = "b".repeat(64);
        let text = format!(
            "22 27 0:21 / /proc rw,relatime - proc proc rw\n\
             30 27 0:40 /var/lib/docker/overlay2/{layer}/merged /mnt rw - overlay overlay rw\n\
             31 27 8:1 /var/lib/docker/containers/{ID}/hostname /srv/hostname rw - ext4 /dev/sda1 rw\n"
        );
        assert_eq!(id_in_mountinfo(&text), None);
    }

    #[test]
    fn only_a_hostname_shaped_like_a_short_id_counts() {
        assert_eq!(short_id("4f1c3e0b9d8a").as_deref(), Some("4f1c3e0b9d8a"));
        assert_eq!(short_id("vm"), None);
        assert_eq!(short_id("raspberrypi"), None);
        assert_eq!(short_id("4F1C3E0B9D8A"), None);
        assert_eq!(short_id("4f1c3e0b9d8a0"), None);
    }

    fn entry(id: &str, name: &str) -> Entry {
        Entry { image: "chrontainer".into(), ..crate::docker::entry::test_entry(id, name, "running") }
    }

    #[test]
    fn each_way_of_knowing_matches_only_its_own_container() {
        let other = "0".repeat(64);
        let all = vec![entry(ID, "chrontainer"), entry(&other, "web")];
        for own in [
            OwnContainer::Id(ID.into()),
            OwnContainer::Hostname(ID[..12].into()),
            OwnContainer::Named("chrontainer".into()),
            OwnContainer::Named(ID[..6].into()),
        ] {
            assert!(own.is(&all, ID), "{own:?}");
            assert!(!own.is(&all, &other), "{own:?}");
        }
        assert!(!OwnContainer::Unknown.is(&all, ID));
        // a name that matches nothing protects nothing
        assert!(!OwnContainer::Named("gone".into()).is(&all, ID));
    }

    #[test]
    fn stop_and_pause_of_itself_are_refused_with_the_reason() {
        let stop = refusal(Action::Stop, "chrontainer").unwrap();
        assert!(stop.starts_with("Chrontainer will not stop its own container chrontainer: "), "{stop}");
        assert!(stop.contains("restart is allowed"), "{stop}");
        assert!(refusal(Action::Pause, "c").unwrap().contains("could never unpause itself"));
        for action in [Action::Restart, Action::Start, Action::Unpause] {
            assert_eq!(refusal(action, "c"), None, "{action}");
        }
    }
}
