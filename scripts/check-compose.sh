#!/usr/bin/env bash
# Validates the compose files with `docker-compose config` (Debian's docker-compose, v1), and with
# the `docker compose` plugin (v2) too where it is installed.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v docker-compose >/dev/null ||
  { echo "check-compose: docker-compose is missing: apt-get install docker-compose" >&2; exit 1; }
for file in docker-compose.yml docker-compose.socket-proxy.yml; do
  docker-compose -f "$file" config -q
  echo "docker-compose -f $file config: ok"
  if docker compose version >/dev/null 2>&1; then
    docker compose -f "$file" config -q
    echo "docker compose -f $file config: ok"
  fi
done
