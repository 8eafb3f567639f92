# Chrontainer: one static binary in an otherwise empty image (about 10 MB), for linux/amd64 and
# linux/arm64 (Raspberry Pi 5).
#
#   docker buildx build --platform linux/amd64,linux/arm64 -t chrontainer:latest .
#       The `build` stage runs on the machine's own platform and cross-compiles a static musl
#       binary with cargo-zigbuild for each target platform: no compiler runs under emulation.
#   docker compose build   (docker-compose.yml has `build: .`) builds for the machine it runs on.
#   scripts/build-image.sh
#       Offline: builds the binary on the host and runs `docker build --target runtime`, which
#       needs no base image (stage `runtime` below copies the binary from the build context).
#
# Root: the container runs as root because the Docker socket it must use is owned by root and the
# `docker` group, whose id differs from host to host. To run unprivileged, give the service a
# `user:`, the host's docker group id in `group_add:` and a /data that user owns (DEPLOYMENT.md,
# "Without root"). A process that can use the Docker socket can take over the host either way.
#
# The full build needs BuildKit (`docker buildx`, the default builder of Docker 23 and newer; with
# Debian's docker.io 20.10, `DOCKER_BUILDKIT=1 docker build .`, and for docker-compose v1 also
# `COMPOSE_DOCKER_CLI_BUILD=1`): it provides $BUILDPLATFORM/$TARGETARCH and skips the `runtime`
# stage. The offline `--target runtime` build works with the classic builder too: it builds every
# stage up to its target, and the stages are ordered so that this is `base` and `runtime` only.

# ---- what every Chrontainer image is, whatever built the binary ----
FROM scratch AS base
ENV CHRONTAINER_DATA_DIR=/data \
    CHRONTAINER_LISTEN=0.0.0.0:5000
VOLUME /data
EXPOSE 5000
# Chrontainer finishes the actions in flight on SIGTERM, then exits.
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 CMD ["/chrontainer", "healthcheck"]
ENTRYPOINT ["/chrontainer"]
CMD ["serve"]

# ---- the offline image: a binary built on the host (scripts/build-image.sh makes the context) ----
# Context layout: rootfs/chrontainer (the static binary), rootfs/tmp (mode 1777, SQLite's temp dir)
# and rootfs/etc/ssl/certs/ca-certificates.crt (the build machine's root certificates, for
# notifications over HTTPS and SMTP with TLS; SSL_CERT_FILE names another bundle for a private CA).
FROM base AS runtime
COPY rootfs/ /

# ---- cross-compilation on the build platform ----
FROM --platform=$BUILDPLATFORM rust:1.95-bookworm AS build
ARG TARGETARCH
# zig is the C compiler and linker for musl targets (bundled SQLite is C), both from PyPI.
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3-venv \
    && rm -rf /var/lib/apt/lists/* \
    && python3 -m venv /opt/zig \
    && /opt/zig/bin/pip install --no-cache-dir ziglang==0.17.1 cargo-zigbuild==0.24.1
ENV PATH=/opt/zig/bin:$PATH
RUN case "$TARGETARCH" in \
      amd64) echo x86_64-unknown-linux-musl ;; \
      arm64) echo aarch64-unknown-linux-musl ;; \
      *) echo "unsupported TARGETARCH=$TARGETARCH (use linux/amd64 or linux/arm64)" >&2; exit 1 ;; \
    esac > /rust-target \
    && rustup target add "$(cat /rust-target)"
WORKDIR /src
COPY . .
# Profile `image` (Cargo.toml): release with thin LTO, which builds in a fraction of the time of
# fat LTO on a Pi's four cores, for a binary about 15 % larger.
RUN cargo zigbuild --locked --profile image --target "$(cat /rust-target)" \
    && mkdir -p /rootfs/tmp /rootfs/etc/ssl/certs \
    && chmod 1777 /rootfs/tmp \
    && cp /etc/ssl/certs/ca-certificates.crt /rootfs/etc/ssl/certs/ \
    && cp "target/$(cat /rust-target)/image/chrontainer" /rootfs/chrontainer

# ---- the default target: the cross-compiled binary in the base image ----
FROM base AS image
COPY --from=build /rootfs/ /
