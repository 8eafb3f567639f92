# shellcheck shell=bash
# Sourced by scripts/test and .ci/run, never run by itself: installs what the tests need on a
# Debian or Ubuntu machine (TESTING.md) when it is missing, and makes sure a Docker Engine answers.
# The caller sets `prog`, the word its messages start with. With `dry_run=1`, commands that would
# change the machine are printed instead of run.

prereq_log="${TMPDIR:-/tmp}/chrontainer-prerequisites.log"
dockerd_log="${TMPDIR:-/tmp}/chrontainer-dockerd.log"
dockerd_pid=""
prog="${prog:-chrontainer}"
# What the user should read goes to fd 3, so it is seen even where a command's output goes to a log.
exec 3>&1

say() { echo "$prog: $*" >&3; }
die() {
  echo "$prog: $*" >&2
  exit 1
}

# Runs a command that changes the machine, or only says it would.
change() {
  if [ "${dry_run:-0}" = 1 ]; then
    say "would run: $*"
  else
    "$@"
  fi
}

# Root runs it itself; anyone else through sudo, which is asked only when something must change.
as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    change "$@"
  elif command -v sudo >/dev/null; then
    change sudo "$@"
  else
    die "\`$*\` needs root: run this as root, or install sudo"
  fi
}

# The harness copies the first of these into the test image, which has no libraries: it must be static.
static_busybox() {
  local b
  for b in /bin/busybox /usr/bin/busybox; do
    if [ -e "$b" ]; then
      ! ldd "$b" >/dev/null 2>&1
      return
    fi
  done
  return 1
}

# The Debian packages the tests need and this machine lacks, judged by what the tests use rather
# than by package name, so Docker installed another way (docker-ce) is not replaced by docker.io.
missing_test_packages() {
  if ! docker info >/dev/null 2>&1 && ! { command -v docker && command -v dockerd; } >/dev/null; then
    echo docker.io
  fi
  static_busybox || echo busybox-static
  [ -x /usr/bin/chromium ] || echo chromium
  [ -x /usr/bin/chromedriver ] || echo chromium-driver
  command -v node >/dev/null || echo nodejs
  command -v npm >/dev/null || echo npm
}

# apt_install PKG...: installs them (with apt-get update first); one line saying why when it fails.
apt_install() {
  [ $# -gt 0 ] || return 0
  command -v apt-get >/dev/null ||
    die "missing $* and this machine has no apt-get: install them by hand (TESTING.md), then run this again"
  say "installing $* with apt-get, once (output in $prereq_log)"
  if ! { as_root apt-get update -q && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@"; } \
    >>"$prereq_log" 2>&1; then
    die "apt-get could not install $*: $(grep -E '^(E|W): ' "$prereq_log" | tail -1) (all of it in $prereq_log)"
  fi
}

# The image tests (tests/image.rs) build the static musl binary with cargo-zigbuild: the musl target
# of each given triple, and zig with cargo-zigbuild from PyPI.
ensure_cross_tools() {
  local triple
  if command -v rustup >/dev/null; then
    for triple in "$@"; do
      rustup target list --installed | grep -qx "$triple" && continue
      say "adding the Rust target $triple with rustup, once"
      change rustup target add "$triple" >>"$prereq_log" 2>&1 ||
        die "rustup could not add the target $triple: $(tail -1 "$prereq_log") (all of it in $prereq_log)"
    done
  fi
  if cargo zigbuild --help >/dev/null 2>&1 && { command -v zig || python3 -c 'import ziglang'; } >/dev/null 2>&1; then
    return 0
  fi
  python3 -m pip --version >/dev/null 2>&1 ||
    die "zig and cargo-zigbuild come from PyPI, and this machine has no pip: apt-get install python3-pip, then run this again"
  say "installing ziglang and cargo-zigbuild with pip, once (output in $prereq_log)"
  change python3 -m pip install -q --root-user-action=ignore ziglang==0.17.1 cargo-zigbuild==0.24.1 \
    >>"$prereq_log" 2>&1 ||
    die "pip could not install ziglang and cargo-zigbuild: $(grep -E 'error' "$prereq_log" | tail -1) (all of it in $prereq_log)"
  if command -v pyenv >/dev/null; then change pyenv rehash; fi
  [ "${dry_run:-0}" = 1 ] || cargo zigbuild --help >/dev/null 2>&1 ||
    die "cargo-zigbuild is installed but not on PATH: add $(python3 -m site --user-base)/bin to PATH"
}

# Starts dockerd with the given options and waits up to a minute for it to answer; on failure it
# is stopped again, so a retry starts clean.
start_dockerd() {
  say "starting dockerd${*:+ $*} (its log: $dockerd_log)"
  if [ "${dry_run:-0}" = 1 ]; then
    as_root dockerd "$@"
    return 0
  fi
  if [ "$(id -u)" -eq 0 ]; then
    dockerd "$@" >"$dockerd_log" 2>&1 &
  else
    # shellcheck disable=SC2024 # the log is the caller's file, written as the caller
    sudo dockerd "$@" >"$dockerd_log" 2>&1 &
  fi
  dockerd_pid=$!
  local _
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && return 0
    [ -d "/proc/$dockerd_pid" ] || break
    sleep 1
  done
  stop_dockerd
  return 1
}

# Stops the dockerd this script started, by its pid (through sudo that is sudo's pid, which passes
# the signal on). Another dockerd on the machine is none of its business.
stop_dockerd() {
  [ -n "$dockerd_pid" ] || return 0
  say "stopping the dockerd it started (pid $dockerd_pid)"
  if [ "$(id -u)" -eq 0 ]; then kill -TERM "$dockerd_pid" 2>/dev/null; else sudo kill -TERM "$dockerd_pid" 2>/dev/null; fi
  local _
  for _ in $(seq 1 30); do
    [ -d "/proc/$dockerd_pid" ] || break
    sleep 1
  done
  wait "$dockerd_pid" 2>/dev/null
  dockerd_pid=""
}

# Makes sure a Docker Engine answers; when none does, starts one and stops it when the calling
# script exits. Machines without overlay or iptables support get vfs and no iptables (TESTING.md).
ensure_docker() {
  docker info >/dev/null 2>&1 && return 0
  if [ "$(id -u)" -ne 0 ] && [ -S /var/run/docker.sock ]; then
    die "a Docker Engine runs but you may not use /var/run/docker.sock: add yourself to the docker group (sudo usermod -aG docker $USER, then sign in again) or run this as root"
  fi
  command -v dockerd >/dev/null || [ "${dry_run:-0}" = 1 ] ||
    die "no Docker Engine answers and there is no dockerd to start: install docker.io (or Docker's own packages)"
  trap stop_dockerd EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  start_dockerd && return 0
  say "dockerd did not answer with its defaults; retrying with the vfs storage driver and no iptables"
  start_dockerd --storage-driver vfs --iptables=false && return 0
  die "dockerd did not start: $(tail -1 "$dockerd_log") (all of it in $dockerd_log)"
}

# The OpenID provider of the sign-in tests (tests/oidc.rs, tests/oidc/provider.mjs): npm's
# oidc-provider, pinned, in a scratch folder outside the work tree that the tests find by the same
# path (OIDC_PROVIDER_DIR overrides it for both). Needs node (20 or later) and npm.
oidc_provider_version=9.13.3
oidc_provider_dir="${OIDC_PROVIDER_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/chrontainer/oidc-provider-$oidc_provider_version}"
ensure_oidc_provider() {
  [ -f "$oidc_provider_dir/node_modules/oidc-provider/package.json" ] && return 0
  command -v node >/dev/null && command -v npm >/dev/null ||
    die "the OpenID sign-in tests need node and npm: apt-get install nodejs npm, then run this again"
  say "installing oidc-provider@$oidc_provider_version with npm into $oidc_provider_dir, once (output in $prereq_log)"
  change mkdir -p "$oidc_provider_dir"
  [ "${dry_run:-0}" = 1 ] || echo '{"private": true}' >"$oidc_provider_dir/package.json"
  change npm install --prefix "$oidc_provider_dir" --no-audit --no-fund --save-exact \
    "oidc-provider@$oidc_provider_version" >>"$prereq_log" 2>&1 ||
    die "npm could not install oidc-provider: $(grep -E 'ERR' "$prereq_log" | tail -1) (all of it in $prereq_log)"
}
