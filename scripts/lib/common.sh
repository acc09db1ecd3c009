# shellcheck shell=bash
# Helpers shared by scripts/dev.sh, scripts/test.sh and scripts/ensure-deps.sh.
# Source it; it defines functions and ROOT, and changes nothing else.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export ROOT

# The Release build's entry points (PUSH_HOST_DLL / PUSH_EMULATOR_DLL override them; a .mjs/.js
# file runs with node: handy to check the scripts against stand-ins).
# The app runs as Azure runs it: its worker process (the unmodified build output in APP_DIR, the folder
# scripts/package.sh zips) started and served by the local Functions host, tools/FunctionsHost.
# shellcheck disable=SC2034 # used by the scripts that source this file
HOST_DLL=${PUSH_HOST_DLL:-"$ROOT/tools/FunctionsHost/bin/Release/net10.0/FunctionsHost.dll"}
# shellcheck disable=SC2034
APP_DIR=${PUSH_APP_DIR:-"$ROOT/src/PushFunctions/bin/Release/net10.0"}
# shellcheck disable=SC2034
EMULATOR_DLL=${PUSH_EMULATOR_DLL:-"$ROOT/tools/SignalREmulator/bin/Release/net10.0/SignalREmulator.dll"}

# Azurite's blob service (tools/azurite, installed by scripts/ensure-deps.sh): the host's storage, AzureWebJobsStorage.
AZURITE_BLOB="$ROOT/tools/azurite/node_modules/.bin/azurite-blob"
# Azurite's built-in development account: the same public name and key in every Azurite, not a secret.
AZURITE_ACCOUNT=devstoreaccount1
AZURITE_KEY='Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='

# The AzureWebJobsStorage connection string of the Azurite blob service listening at $1 (http://127.0.0.1:PORT).
azurite_storage() {
  printf 'DefaultEndpointsProtocol=http;AccountName=%s;AccountKey=%s;BlobEndpoint=%s/%s;' \
    "$AZURITE_ACCOUNT" "$AZURITE_KEY" "$1" "$AZURITE_ACCOUNT"
}

# The arguments that start Azurite's blob service on 127.0.0.1:$1 (0: any free port, printed in its output
# "successfully listens on URL") with its data in $2 ("memory": none kept). No telemetry, any API version.
azurite_args() {
  local where=(--location "$2")
  [ "$2" = memory ] && where=(--inMemoryPersistence)
  printf '%s\n' "$AZURITE_BLOB" --silent --disableTelemetry --skipApiVersionCheck --loose \
    --blobHost 127.0.0.1 --blobPort "$1" "${where[@]}"
}

# The program that runs an entry point: dotnet for a .dll, node for a script.
runner_for() {
  case "$1" in
    *.mjs|*.cjs|*.js) echo node ;;
    *) echo dotnet ;;
  esac
}

log()  { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
warn() { printf '[%s] WARNING: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die()  { printf '[%s] ERROR: %s\n' "$(date +%H:%M:%S)" "$*" >&2; exit 1; }

# Run as root, or through sudo when there is one (developer machines).
as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else die "need root for: $*"
  fi
}

# A TCP port that is free on loopback now (the OS picks it).
free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close();});'
}

# 0 when something accepts connections on 127.0.0.1:$1.
port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# $1 when it is free, else a free one.
port_or_free() {
  if port_in_use "$1"; then free_port; else echo "$1"; fi
}

# A random hex secret of $1 bytes (default 32 → 64 hex characters).
random_hex() {
  node -e 'console.log(require("crypto").randomBytes(+process.argv[1]).toString("hex"))' "${1:-32}"
}

# HTTP status code of GET $1 ("000" when nothing answers).
http_status() {
  curl -s -o /dev/null -m 5 -w '%{http_code}' "$1" 2>/dev/null || true
}

# wait_until SECONDS DESCRIPTION COMMAND...: polls COMMAND every 0.5 s.
wait_until() {
  local limit=$1 what=$2 deadline
  shift 2
  deadline=$(( $(date +%s) + limit ))
  until "$@"; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      warn "timed out after ${limit}s waiting for $what"
      return 1
    fi
    sleep 0.5
  done
}

# redis answers PING on 127.0.0.1:$1
redis_ping() {
  local reply
  reply=$(exec 2>/dev/null; exec 3<>"/dev/tcp/127.0.0.1/$1" && printf 'PING\r\n' >&3 && timeout 2 head -c 5 <&3) || return 1
  [ "$reply" = "+PONG" ]
}

# ---- background processes -------------------------------------------------
# start_bg NAME LOGFILE COMMAND...: starts COMMAND in a new session (its own process group)
# with output to LOGFILE, and remembers it for stop_all. Sets BG_PID.
BG_NAMES=()
BG_PIDS=()
start_bg() {
  local name=$1 logfile=$2
  shift 2
  mkdir -p "$(dirname "$logfile")"
  setsid "$@" >"$logfile" 2>&1 </dev/null &
  BG_PID=$!
  BG_NAMES+=("$name")
  BG_PIDS+=("$BG_PID")
}

# alive PID
alive() { kill -0 "$1" 2>/dev/null; }

# Stops every process group started with start_bg, newest first: TERM, then KILL after 5 s.
stop_all() {
  local i pid deadline
  for (( i=${#BG_PIDS[@]}-1; i>=0; i-- )); do
    pid=${BG_PIDS[$i]}
    if alive "$pid"; then
      log "stopping ${BG_NAMES[$i]} (pid $pid)"
      kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    fi
  done
  deadline=$(( $(date +%s) + 5 ))
  for (( i=${#BG_PIDS[@]}-1; i>=0; i-- )); do
    pid=${BG_PIDS[$i]}
    while alive "$pid" && [ "$(date +%s)" -lt "$deadline" ]; do sleep 0.1; done
    if alive "$pid"; then
      warn "${BG_NAMES[$i]} (pid $pid) ignored TERM; killing"
      kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
    fi
  done
  BG_NAMES=()
  BG_PIDS=()
}

# Last lines of a log, indented, for error messages.
log_tail() {
  [ -f "$1" ] && tail -n "${2:-30}" "$1" | sed 's/^/    | /' >&2
  return 0
}
