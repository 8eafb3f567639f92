#!/usr/bin/env bash
# Builds the Chrontainer image offline: cross-compiles the static musl binary on this host with
# cargo-zigbuild, then `docker build --target runtime` copies it into an empty image (FROM scratch
# needs no pull). The full multi-stage build, for machines that can pull `rust`, is
#   docker buildx build --platform linux/amd64,linux/arm64 -t chrontainer:latest .
#
#   scripts/build-image.sh                  # chrontainer:latest for this machine's architecture
#   CHRONTAINER_IMAGE=me/chrontainer:1 scripts/build-image.sh
#   CHRONTAINER_ARCH=arm64 scripts/build-image.sh   # an arm64 image (needs BuildKit for --platform)
#
# Needs: rustup's musl target, zig and cargo-zigbuild (`pip install ziglang cargo-zigbuild`), Docker.
set -euo pipefail
cd "$(dirname "$0")/.."

image="${CHRONTAINER_IMAGE:-chrontainer:latest}"
arch="${CHRONTAINER_ARCH:-}"
if [ -z "$arch" ]; then
  case "$(uname -m)" in
    x86_64) arch=amd64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) echo "build-image: unsupported host architecture $(uname -m); set CHRONTAINER_ARCH=amd64 or arm64" >&2; exit 1 ;;
  esac
fi
case "$arch" in
  amd64) triple=x86_64-unknown-linux-musl ;;
  arm64) triple=aarch64-unknown-linux-musl ;;
  *) echo "build-image: CHRONTAINER_ARCH=$arch is not amd64 or arm64" >&2; exit 1 ;;
esac
# A target directory of its own: a `cargo test` running beside this build holds target/'s lock.
target_dir="${CHRONTAINER_CROSS_TARGET_DIR:-target/cross}"

missing() { echo "build-image: $1 is missing: $2" >&2; exit 1; }
command -v cargo >/dev/null || missing "cargo" "install Rust with rustup"
if command -v rustup >/dev/null; then
  rustup target list --installed | grep -qx "$triple" ||
    missing "the Rust target $triple" "rustup target add $triple"
fi
cargo zigbuild --help >/dev/null 2>&1 ||
  missing "cargo-zigbuild" "pip install ziglang cargo-zigbuild (or cargo install cargo-zigbuild --locked)"
command -v zig >/dev/null || python3 -c 'import ziglang' 2>/dev/null ||
  missing "zig" "pip install ziglang"
command -v docker >/dev/null || missing "the docker CLI" "apt-get install docker.io"
docker info >/dev/null 2>&1 || missing "a running Docker Engine" "start dockerd (see TESTING.md)"

echo "== cargo zigbuild --profile image --target $triple"
CARGO_TARGET_DIR="$target_dir" cargo zigbuild --locked --profile image --target "$triple"
binary="$target_dir/$triple/image/chrontainer"
if readelf -lW "$binary" | grep -q INTERP; then
  echo "build-image: $binary is dynamically linked; expected a static musl binary" >&2
  exit 1
fi

context="$(mktemp -d)"
trap 'rm -rf "$context"' EXIT
mkdir -p "$context/rootfs/tmp" "$context/rootfs/etc/ssl/certs"
chmod 1777 "$context/rootfs/tmp"
cp "$binary" "$context/rootfs/chrontainer"
# Root certificates for notifications over HTTPS and SMTP with TLS (the image has no others);
# SSL_CERT_FILE points elsewhere for a private CA.
ca_bundle="${CHRONTAINER_CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}"
[ -s "$ca_bundle" ] || missing "the CA bundle $ca_bundle" "apt-get install ca-certificates (or set CHRONTAINER_CA_BUNDLE)"
cp "$ca_bundle" "$context/rootfs/etc/ssl/certs/ca-certificates.crt"
platform=()
[ "$arch" = "$(docker version --format '{{.Server.Arch}}' 2>/dev/null)" ] || platform=(--platform "linux/$arch")

echo "== docker build --target runtime -t $image"
if ! docker build "${platform[@]}" --target runtime -t "$image" -f Dockerfile "$context" >"$context/build.log" 2>&1; then
  cat "$context/build.log" >&2
  echo "build-image: docker build failed" >&2
  exit 1
fi
# The legacy builder's deprecation notice says nothing about this build.
grep -v -i -e '^DEPRECATED' -e 'legacy builder' -e 'buildx component' -e 'docs.docker.com/go/buildx' -e '^ *$' \
  "$context/build.log" || true

binary_bytes=$(stat -c %s "$binary")
image_bytes=$(docker image inspect --format '{{.Size}}' "$image")
echo "binary: $binary ($binary_bytes bytes)"
awk -v b="$image_bytes" -v i="$image" 'BEGIN { printf "image: %s, %d bytes (%.2f MiB)\n", i, b, b / 1048576 }'
