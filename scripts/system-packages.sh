#!/usr/bin/env bash
# Debian packages the test suite starts as real servers: PgBouncer (transaction pooling
# tests) and nginx (forward auth in front of `keyconsole serve`). PostgreSQL itself is
# expected on the machine (initdb and pg_ctl on PATH). With the argument `bench`, also the
# tools the benchmarks compare against or load with: wrk and ripgrep.
# Installs what is missing when run as root with apt-get; otherwise says what to install,
# and the tests that need it are skipped (CI sets KEYCONSOLE_REQUIRE_POSTGRES, so there a
# missing server fails the run instead).
set -euo pipefail

missing=()
command -v pgbouncer >/dev/null 2>&1 || [ -x /usr/sbin/pgbouncer ] || missing+=(pgbouncer)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
if [ "${1:-}" = bench ]; then
    command -v wrk >/dev/null 2>&1 || missing+=(wrk)
    command -v rg >/dev/null 2>&1 || missing+=(ripgrep)
fi
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing Debian packages: ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
    echo "not installed: ${missing[*]} (as root: make system-packages); the tests that need them are skipped" >&2
fi
