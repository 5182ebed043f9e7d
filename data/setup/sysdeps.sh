#!/usr/bin/env bash
# Install the system packages Tasharuk needs when they are missing: PostgreSQL + PostGIS 3,
# nginx (the sample reverse-proxy site in deploy/, started by the serving tests on loopback),
# systemd's systemd-analyze (checks the sample units), Redis (the shared rate limits' store,
# started by their tests on loopback; its packaged service is never started), and Chromium with an Arabic font for the
# browser tests (tests/browser; Playwright never downloads a browser).
# As root it uses apt-get; otherwise it prints the exact command and stops.
# TASHARUK_SYSROOT (a folder standing for /) and TASHARUK_SYSDEPS_PRINT_ONLY=1 exist for tests.
set -euo pipefail
root="${TASHARUK_SYSROOT:-}"
# the PostGIS package must match the installed server's major version (15 when none is installed)
major=15
for d in "$root"/usr/lib/postgresql/*/bin/initdb; do
  [ -e "$d" ] && major="$(basename "$(dirname "$(dirname "$d")")")"
done
need=()
ls "$root"/usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
ls "$root"/usr/share/postgresql/"$major"/extension/postgis.control >/dev/null 2>&1 \
  || need+=("postgresql-$major-postgis-3")
command -v python3 >/dev/null || need+=(python3 python3-venv)
python3 -c 'import venv, ensurepip' 2>/dev/null || need+=(python3-venv)
[ -x "$root"/usr/sbin/nginx ] || need+=(nginx-light)
[ -x "$root"/usr/bin/systemd-analyze ] || need+=(systemd)
[ -x "$root"/usr/bin/redis-server ] || need+=(redis-server)
[ -x "$root"/usr/bin/chromium ] || need+=(chromium)
ls "$root"/usr/share/fonts/truetype/noto/NotoSansArabic-Regular.ttf >/dev/null 2>&1 \
  || need+=(fonts-noto-core)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && [ -z "${TASHARUK_SYSDEPS_PRINT_ONLY:-}" ] && command -v apt-get >/dev/null; then
  echo "installing system packages: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # never start the packaged services (nginx's default site would listen on port 80, Redis on
  # 6379)
  no_start=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
    no_start=1
  fi
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  apt-get -o DPkg::Lock::Timeout=600 install -y -qq "${need[@]}" >/dev/null
  [ -z "$no_start" ] || rm -f /usr/sbin/policy-rc.d
else
  echo "Tasharuk needs these system packages: ${need[*]}" >&2
  echo "Run: sudo apt-get update && sudo apt-get install -y ${need[*]}" >&2
  exit 1
fi
