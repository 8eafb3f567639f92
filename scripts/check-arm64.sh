#!/usr/bin/env bash
# Checks that the arm64 (Raspberry Pi 5) build really runs, without a Pi:
#  1. cross-compiles the static binary for aarch64-unknown-linux-musl with cargo-zigbuild;
#  2. checks it is a static AArch64 executable whose LOAD segments are aligned to 64 KiB: the Pi 5's
#     kernel uses 16 KiB pages and cannot map segments aligned to less;
#  3. starts it under qemu-aarch64-static (Debian's qemu-user-static) with a temporary data directory,
#     CHRONTAINER_AUTH=none and DOCKER_HOST pointing nowhere, and waits until /healthz answers 200
#     (Docker reported unreachable), runs its `healthcheck` subcommand, and stops it with SIGTERM.
# Needs: rustup target aarch64-unknown-linux-musl, `pip install ziglang cargo-zigbuild`,
# `apt-get install qemu-user-static`, readelf (binutils) and curl.
set -euo pipefail
cd "$(dirname "$0")/.."

triple=aarch64-unknown-linux-musl
target_dir="${CHRONTAINER_CROSS_TARGET_DIR:-target/cross}"

missing() { echo "check-arm64: $1 is missing: $2" >&2; exit 1; }
if command -v rustup >/dev/null; then
  rustup target list --installed | grep -qx "$triple" || missing "the Rust target $triple" "rustup target add $triple"
fi
cargo zigbuild --help >/dev/null 2>&1 ||
  missing "cargo-zigbuild" "pip install ziglang cargo-zigbuild (or cargo install cargo-zigbuild --locked)"
command -v zig >/dev/null || python3 -c 'import ziglang' 2>/dev/null || missing "zig" "pip install ziglang"
command -v qemu-aarch64-static >/dev/null || missing "qemu-aarch64-static" "apt-get install qemu-user-static"
command -v readelf >/dev/null || missing "readelf" "apt-get install binutils"
command -v curl >/dev/null || missing "curl" "apt-get install curl"

echo "== cargo zigbuild --profile image --target $triple"
CARGO_TARGET_DIR="$target_dir" cargo zigbuild --locked --profile image --target "$triple"
binary="$target_dir/$triple/image/chrontainer"
echo "binary: $binary ($(stat -c %s "$binary") bytes)"

fail() { echo "check-arm64: FAILED: $*" >&2; exit 1; }
readelf -hW "$binary" | grep -q 'Machine:.*AArch64' || fail "$binary is not an AArch64 executable"
readelf -lW "$binary" | grep -q INTERP && fail "$binary is dynamically linked (has an INTERP segment)"
echo "== LOAD segments (the last column is the alignment; the Pi 5 needs at least 0x10000)"
readelf -lW "$binary" | awk '$1 == "LOAD"'
aligns=$(readelf -lW "$binary" | awk '$1 == "LOAD" { print $NF }')
[ -n "$aligns" ] || fail "readelf shows no LOAD segment"
for a in $aligns; do
  (( a >= 65536 && a % 65536 == 0 )) ||
    fail "a LOAD segment is aligned to $a, less than 64 KiB: it would not start on a 16 KiB-page kernel"
done
echo "every LOAD segment is 64 KiB aligned"

echo "== starting it under qemu-aarch64-static"
qemu-aarch64-static "$binary" --version
work="$(mktemp -d)"
pid=""
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
CHRONTAINER_DATA_DIR="$work/data" CHRONTAINER_AUTH=none CHRONTAINER_LISTEN=127.0.0.1:0 \
  DOCKER_HOST=tcp://127.0.0.1:9 RUST_LOG=info \
  qemu-aarch64-static "$binary" serve >"$work/log" 2>&1 &
pid=$!
addr=""
for _ in $(seq 1 240); do
  addr=$(sed -n 's/.*listening on http:\/\/\([^ ]*\).*/\1/p' "$work/log" | head -1)
  [ -n "$addr" ] && break
  kill -0 "$pid" 2>/dev/null || { cat "$work/log" >&2; fail "it exited before listening"; }
  sleep 0.5
done
[ -n "$addr" ] || { cat "$work/log" >&2; fail "it did not say where it listens within 120 s"; }
health=""
for _ in $(seq 1 60); do
  health=$(curl -fsS --max-time 5 "http://$addr/healthz" 2>/dev/null) && break
  sleep 0.5
done
[ -n "$health" ] || { cat "$work/log" >&2; fail "/healthz did not answer 200"; }
echo "GET /healthz: $health"
echo "$health" | grep -q '"status":"ok"' || fail "/healthz is not ok"
echo "$health" | grep -q '"database":"ok"' || fail "the database is not ok"
CHRONTAINER_LISTEN="$addr" qemu-aarch64-static "$binary" healthcheck || fail "\`chrontainer healthcheck\` did not exit 0"
echo "chrontainer healthcheck: exit 0"
kill -TERM "$pid"
code=0
wait "$pid" || code=$?
pid=""
[ "$code" -eq 0 ] || { cat "$work/log" >&2; fail "it exited with $code after SIGTERM"; }
echo "stopped on SIGTERM with exit code 0"
echo "check-arm64: the aarch64 build runs"
