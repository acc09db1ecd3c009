#!/usr/bin/env bash
# Installs what the scripts and tests need, only when it is missing. Safe to run again and again.
#
#   bash scripts/ensure-deps.sh            # everything
#   bash scripts/ensure-deps.sh redis e2e  # only these
#
# To add a dependency: write one `ensure_<name>` function below and add <name> to ALL_DEPS.
set -euo pipefail
# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

ALL_DEPS=(dotnet node redis azurite e2e client sample chromium browser chaos)

APT_UPDATED=0
apt_install() {
  command -v apt-get >/dev/null 2>&1 || die "apt-get not found: install $* by hand"
  export DEBIAN_FRONTEND=noninteractive
  if [ "$APT_UPDATED" -eq 0 ]; then
    log "apt-get update"
    as_root apt-get update -qq
    APT_UPDATED=1
  fi
  log "apt-get install -y $*"
  as_root apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

ensure_dotnet() {
  command -v dotnet >/dev/null 2>&1 || die "dotnet (the .NET 10 SDK) is not on PATH"
}

ensure_node() {
  command -v node >/dev/null 2>&1 || die "node (20 or later) is not on PATH"
  command -v npm >/dev/null 2>&1 || die "npm is not on PATH"
}

ensure_redis() {
  if command -v redis-server >/dev/null 2>&1; then return 0; fi
  apt_install redis-server
  # The Debian package starts a system service on 6379; we run our own instances on
  # other ports, so leave it alone (it may not even run: no systemd in containers).
  command -v redis-server >/dev/null 2>&1 || die "redis-server still missing after apt-get install"
}

# One npm command with a time limit, tried up to three times: an npm that sits on an idle registry
# connection after fetching everything has been seen to hang here for many minutes. The folders
# share most packages, so --prefer-offline takes them from npm's cache without asking again.
npm_retry() {
  local dir="$1" command="$2" attempt
  for attempt in 1 2 3; do
    (cd "$dir" && timeout 240 npm "$command" --prefer-offline --no-audit --no-fund --loglevel=error) && return 0
    log "npm $command in ${dir#"$ROOT"/} failed or timed out (attempt $attempt)"
  done
  die "npm $command in ${dir#"$ROOT"/} failed three times"
}

# npm packages of one folder: `npm ci` when node_modules is missing or was installed from
# another package.json / package-lock.json (a hash of both is kept in node_modules).
npm_deps() {
  local dir="$ROOT/$1" stamp want have=""
  [ -f "$dir/package.json" ] || return 0
  stamp="$dir/node_modules/.deps-stamp"
  want=$(cat "$dir/package.json" "$dir/package-lock.json" 2>/dev/null | sha256sum | cut -d' ' -f1)
  [ -f "$stamp" ] && have=$(cat "$stamp")
  if [ -d "$dir/node_modules" ] && [ "$have" = "$want" ]; then return 0; fi
  if [ -f "$dir/package-lock.json" ]; then
    log "npm ci in $1"
    npm_retry "$dir" ci
  else
    log "npm install in $1"
    npm_retry "$dir" install
    want=$(cat "$dir/package.json" "$dir/package-lock.json" 2>/dev/null | sha256sum | cut -d' ' -f1)
  fi
  printf '%s\n' "$want" >"$stamp"
}

# Azurite (npm azurite, pinned in tools/azurite): the Functions host's storage (AzureWebJobsStorage) locally.
ensure_azurite() { npm_deps tools/azurite; }
ensure_e2e()    { npm_deps tests/e2e; }
ensure_client() { npm_deps client; }
# The sample backend serves @microsoft/signalr's browser build from its own node_modules.
ensure_sample() { npm_deps samples/TodoBackend; }
# The browser tests: playwright-core drives Debian's chromium (never a browser download of its own).
ensure_browser() { npm_deps tests/browser; }
# The chaos run (tests/chaos): @microsoft/signalr for the browser client in Node.
ensure_chaos()  { npm_deps tests/chaos; }

ensure_chromium() {
  if [ -x /usr/bin/chromium ]; then return 0; fi
  apt_install chromium fonts-dejavu-core
  [ -x /usr/bin/chromium ] || die "/usr/bin/chromium still missing after apt-get install"
}

main() {
  local deps=("$@") dep
  [ ${#deps[@]} -gt 0 ] || deps=("${ALL_DEPS[@]}")
  for dep in "${deps[@]}"; do
    declare -F "ensure_$dep" >/dev/null || die "unknown dependency '$dep' (known: ${ALL_DEPS[*]})"
    "ensure_$dep"
  done
}

main "$@"
