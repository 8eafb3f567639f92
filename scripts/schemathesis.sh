#!/usr/bin/env bash
# schemathesis (from PyPI) against the real binary, signed in with an API token, over every
# operation of GET /api/openapi.json, for a bounded time (issue 22). Exits non-zero on any failure.
#
#   scripts/schemathesis.sh                     # builds the debug binary if needed
#   CHRONTAINER_BIN=target/release/chrontainer scripts/schemathesis.sh
#   SCHEMATHESIS_MAX_EXAMPLES=50 SCHEMATHESIS_TIMEOUT=600 scripts/schemathesis.sh   # a longer run
#
# The app runs with authentication on, on a loopback port, with a temporary data directory and a
# few throw-away containers (running, paused, exited, created) from the local test image. Everything
# is removed on any exit. scripts/schemathesis_hooks.py keeps the fuzzer off every other container
# on the Engine and off the run's own credential. `GET /api/events` is left out: it is an endless
# stream (tests/api.rs and tests/security.rs drive it). The reports (JUnit, and the requests and
# answers as NDJSON) are kept in test-artifacts/schemathesis/.
set -euo pipefail
cd "$(dirname "$0")/.."

SCHEMATHESIS_VERSION=4.32.5
MAX_EXAMPLES=${SCHEMATHESIS_MAX_EXAMPLES:-50}
BUDGET=${SCHEMATHESIS_TIMEOUT:-600}   # seconds for the fuzzer itself (phase two has 60+ operations)
SEED=${SCHEMATHESIS_SEED:-}
IMAGE=chrontainer-test-busybox:latest
RUN="st-$$-$(date +%s)"
REPORTS=$PWD/test-artifacts/schemathesis

work=$(mktemp -d)
app_pid=""
st_pid=""
# shellcheck disable=SC2317  # run by the EXIT trap
cleanup() {
  local code=$?
  trap - EXIT INT TERM
  if [ -n "$st_pid" ]; then kill -TERM "$st_pid" 2>/dev/null || true; wait "$st_pid" 2>/dev/null || true; fi
  if [ -n "$app_pid" ] && kill -0 "$app_pid" 2>/dev/null; then
    kill -TERM "$app_pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$app_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$app_pid" 2>/dev/null || true
    wait "$app_pid" 2>/dev/null || true
  fi
  local ids
  ids=$(docker ps -aq --filter "label=chrontainer-schemathesis=$RUN" 2>/dev/null || true)
  if [ -n "$ids" ]; then
    # shellcheck disable=SC2086
    docker rm -f -v $ids >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
  exit "$code"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

say() { echo "== schemathesis: $*"; }
fail() { echo "schemathesis.sh: $*" >&2; exit 1; }

# ---- schemathesis itself, pinned
if ! schemathesis --version 2>/dev/null | grep -qF "$SCHEMATHESIS_VERSION"; then
  say "installing schemathesis $SCHEMATHESIS_VERSION"
  pip install -q --root-user-action=ignore "schemathesis==$SCHEMATHESIS_VERSION"
  if command -v pyenv >/dev/null; then pyenv rehash; fi
fi
schemathesis --version | grep -qF "$SCHEMATHESIS_VERSION" || fail "schemathesis $SCHEMATHESIS_VERSION is not on PATH"

# ---- the binary
bin=${CHRONTAINER_BIN:-}
if [ -z "$bin" ]; then
  say "building the debug binary"
  cargo build -q --bin chrontainer
  bin=target/debug/chrontainer
fi
[ -x "$bin" ] || fail "no executable at $bin"

# ---- the test image (as tests/common/mod.rs builds it) and the throw-away containers
docker info >/dev/null 2>&1 || fail "no Docker Engine answers (see TESTING.md; .ci/run starts one)"
if ! docker image inspect "$IMAGE" >/dev/null 2>&1; then
  busybox=""
  for p in /bin/busybox /usr/bin/busybox; do [ -x "$p" ] && busybox=$p && break; done
  [ -n "$busybox" ] || fail "no static busybox: apt-get install busybox-static"
  say "building $IMAGE from $busybox"
  mkdir -p "$work/root/bin"
  cp "$busybox" "$work/root/bin/busybox"
  for applet in sh sleep true false echo cat ls; do ln -s busybox "$work/root/bin/$applet"; done
  tar -C "$work/root" -c . | docker import - "$IMAGE" >/dev/null
fi
names=()
container() { # name-suffix docker-verb [extra args]
  local name="ct-$RUN-$1" verb=$2
  shift 2
  docker "$verb" "$@" --network none --label chrontainer-test=1 --label "chrontainer-schemathesis=$RUN" \
    --name "$name" "$IMAGE" sh -c 'trap "exit 0" TERM; while :; do sleep 1; done' >/dev/null
  names+=("$name")
}
container running run -d
container paused run -d
container exited run -d
container created create
docker pause "ct-$RUN-paused" >/dev/null
docker stop "ct-$RUN-exited" >/dev/null

# ---- the app, with authentication on
password="schemathesis-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
mkdir -p "$work/data"
CHRONTAINER_LISTEN=127.0.0.1:0 CHRONTAINER_DATA_DIR="$work/data" CHRONTAINER_AUTH=password \
  CHRONTAINER_ADMIN_PASSWORD="$password" RUST_LOG=info \
  "$bin" >/dev/null 2>"$work/app.log" &
app_pid=$!
addr=""
for _ in $(seq 1 300); do
  addr=$(sed -n 's/.*listening on http:\/\/\([^ ]*\).*/\1/p' "$work/app.log" | head -1)
  [ -n "$addr" ] && break
  kill -0 "$app_pid" 2>/dev/null || break
  sleep 0.1
done
[ -n "$addr" ] || { cat "$work/app.log" >&2; fail "chrontainer did not start"; }
base="http://$addr"
say "chrontainer at $base ($bin)"

# ---- an API token: sign in through /login, then POST /api/tokens with the cookie and CSRF token
json_field() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
status=$(curl -s -o /dev/null -w '%{http_code}' -c "$work/cookies" -H "Origin: $base" \
  --data-urlencode username=admin --data-urlencode "password=$password" --data-urlencode next=/ \
  "$base/login")
[ "$status" = 303 ] || fail "sign-in answered $status"
me=$(curl -sf -b "$work/cookies" "$base/api/users/me") || fail "GET /api/users/me failed"
csrf=$(json_field csrf_token <<<"$me")
user_id=$(curl -sf -b "$work/cookies" "$base/api/users" |
  python3 -c 'import json,sys; print(next(u["id"] for u in json.load(sys.stdin) if u["username"] == "admin"))') ||
  fail "GET /api/users failed"
created=$(curl -sf -b "$work/cookies" -H "Origin: $base" -H "X-CSRF-Token: $csrf" \
  -H 'Content-Type: application/json' -d '{"name": "schemathesis", "role": "full"}' \
  "$base/api/tokens") || fail "POST /api/tokens failed"
token=$(json_field token <<<"$created")
token_id=$(json_field id <<<"$created")

# ---- something for the fuzzer to find: two schedules, a viewer and a read-only token, and a
# dictionary that puts the run's containers and these IDs into about half the generated requests
as_admin() { # method path [json body]
  local method=$1 path=$2
  shift 2
  curl -sf -X "$method" -b "$work/cookies" -H "Origin: $base" -H "X-CSRF-Token: $csrf" \
    -H 'Content-Type: application/json' ${1:+-d "$1"} "$base$path" >/dev/null ||
    fail "$method $path failed"
}
as_admin POST /api/schedules "{\"container\": \"${names[0]}\", \"action\": \"restart\", \"cron\": \"0 3 * * *\"}"
as_admin POST /api/schedules "{\"container\": \"${names[1]}\", \"action\": \"unpause\", \"cron\": \"30 4 * * 1\", \"enabled\": false}"
as_admin POST /api/users '{"username": "viewer", "password": "viewer password 1", "role": "viewer"}'
as_admin POST /api/tokens '{"name": "read-only", "role": "read"}'
quoted=$(printf '"%s", ' "${names[@]}")
# the token reaches schemathesis through its environment, not its command line
cat >"$work/schemathesis.toml" <<TOML
headers = { Authorization = "Bearer \${ST_TOKEN}" }

[dictionaries.containers]
values = [${quoted%, }]

[dictionaries.ids]
values = [1, 2, 3]

[parameters]
"path.ref" = { dictionary = "containers", probability = 0.5 }
"body.container" = { dictionary = "containers", probability = 0.5 }
"query.container" = { dictionary = "containers", probability = 0.5 }
"path.id" = { dictionary = "ids", probability = 0.5 }
TOML

# ---- the run
rm -rf "$REPORTS" && mkdir -p "$REPORTS"   # only this run's reports
# the answer's status, content type and body against the document, and never a 5xx
checks=${SCHEMATHESIS_CHECKS:-not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance}
args=(
  run "$base/api/openapi.json"
  --checks "$checks"
  --exclude-path /api/events
  --max-examples "$MAX_EXAMPLES"
  --request-timeout 30
  --workers 2
  --report "junit,ndjson" --report-dir "$REPORTS"
  --generation-database none
  --no-color
)
if [ -n "$SEED" ]; then args+=(--seed "$SEED"); fi
say "running ($MAX_EXAMPLES examples per operation, at most $BUDGET s)"
# in the background, so that an interrupt reaches the trap at once instead of after the run; in
# the temporary directory, where schemathesis keeps its .schemathesis/ cache
set +e
hooks="$PWD/scripts"
(cd "$work" && PYTHONPATH="$hooks${PYTHONPATH:+:$PYTHONPATH}" SCHEMATHESIS_HOOKS=schemathesis_hooks \
  ST_TOKEN="$token" ST_RUN_LABEL="$RUN" ST_OWN_NAMES="$(IFS=,; echo "${names[*]}")" \
  ST_TOKEN_ID="$token_id" ST_USER_ID="$user_id" \
  exec timeout --kill-after=10 "$BUDGET" schemathesis --config-file "$work/schemathesis.toml" "${args[@]}") &
st_pid=$!
wait "$st_pid"
code=$?
st_pid=""
set -e

# the fuzzer must not have hurt the app: it still answers, and never panicked
health=$(curl -s -o /dev/null -w '%{http_code}' "$base/healthz" || true)
panics=$(grep -c 'panicked' "$work/app.log" || true)
if [ "$code" = 124 ] || [ "$code" = 137 ]; then
  say "FAILED: did not finish within $BUDGET s"
elif [ "$code" != 0 ]; then
  say "FAILED (exit $code): the failures are listed above; reports in $REPORTS/"
fi
if [ "$health" != 200 ] || [ "$panics" != 0 ]; then
  say "FAILED: after the run /healthz answered $health; the app log has $panics panic(s):"
  grep -n -A3 'panicked\|ERROR' "$work/app.log" | tail -40 >&2 || true
  [ "$code" = 0 ] && code=1
fi
[ "$code" = 0 ] && say "passed: 0 failures"
exit "$code"
