#!/usr/bin/env bash
# Install the system packages Tasharuk needs when they are missing: PostgreSQL 15 + PostGIS 3.
# As root it uses apt-get; otherwise it prints the exact command and stops.
set -euo pipefail
need=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
ls /usr/share/postgresql/*/extension/postgis.control >/dev/null 2>&1 || need+=(postgresql-15-postgis-3)
command -v python3 >/dev/null || need+=(python3 python3-venv)
python3 -c 'import venv, ensurepip' 2>/dev/null || need+=(python3-venv)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing system packages: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need[@]}" >/dev/null
else
  echo "Tasharuk needs these system packages: ${need[*]}" >&2
  echo "Run: sudo apt-get update && sudo apt-get install -y ${need[*]}" >&2
  exit 1
fi
