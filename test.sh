#!/usr/bin/env bash
# Runs every test: unit, bUnit, integration (real HTTP, SQLite, Sandbox), kubectl and browser tests.
# Installs what it can that a fresh machine lacks (Debian's chromium for the browser tests, docker-registry for the
# registry tests; the pinned dotnet tools).
set -euo pipefail
cd "$(dirname "$0")"

need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
[ -x /usr/bin/docker-registry ] || need+=(docker-registry)
# node and npm run the OpenID Connect provider of the single sign-on browser test (its npm packages install at test time).
command -v node >/dev/null 2>&1 || need+=(nodejs)
command -v npm >/dev/null 2>&1 || need+=(npm)
/usr/bin/python3 -c 'import kubernetes' >/dev/null 2>&1 || need+=(python3-kubernetes)
# PostgreSQL and Redis run on loopback ports for the several-instances tests (started and stopped by the tests).
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
[ -x /usr/lib/postgresql/15/bin/pg_ctl ] || need+=(postgresql)
if [ "${#need[@]}" -gt 0 ]; then
  if [ "$(id -u)" = "0" ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "missing: sudo apt-get install -y ${need[*]}" >&2
    exit 1
  fi
fi
command -v kubectl >/dev/null 2>&1 || echo "warning: kubectl is missing; the Sandbox's kubectl tests will fail" >&2

dotnet tool restore >/dev/null
dotnet build SelfService.sln -c Debug -nologo -v q
log=$(mktemp)
status=0
dotnet test SelfService.sln --no-build -nologo "$@" 2>&1 | tee "$log" || status=$?

# One closing line for the whole run, summed over the test projects.
passed=$(grep -Eo 'Passed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
failed=$(grep -Eo 'Failed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
rm -f "$log"
echo "$passed passed, $failed failed"
if [ "$status" -eq 0 ] && [ "$passed" -eq 0 ]; then
  echo "no test ran" >&2
  exit 1
fi
exit "$status"
