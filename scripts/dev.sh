#!/usr/bin/env bash
# Runs the whole system locally: redis-server, the SignalR emulator, Azurite (the Functions host's
# storage), PushFunctions and the sample main backend with its demo page (samples/TodoBackend), as
# plain processes on loopback. Ctrl-C stops everything.
#
# PushFunctions runs as in Azure: the local Functions host (tools/FunctionsHost) starts the app's
# unmodified build output as its worker process (dotnet PushFunctions.dll --functions-uri ...) and
# serves its routes, host keys, CORS and timers (their locks in Azurite).
#
# Ports (each: the default when free, else a free one; set a variable to insist on a port):
#   PUSH_APP_PORT (7071), PUSH_EMULATOR_PORT (8888), PUSH_REDIS_PORT (6399), PUSH_DEMO_PORT (5173),
#   PUSH_AZURITE_PORT (10000)
# Other knobs: PUSH_CORS_ORIGINS (browser origins allowed), PUSH_SKIP_BUILD=1,
#   PUSH_METRICS_SECONDS (how often the app prints its metrics to app.log; 15, 0 = never),
#   PUSH_HOST_DLL / PUSH_EMULATOR_DLL (other entry points; a .mjs/.js runs with node),
#   PUSH_APP_DIR (the app's build output the host runs; default src/PushFunctions/bin/Release/net10.0),
#   PUSH_HOST=func: run the app with Azure Functions Core Tools (`func start`) instead of
#   tools/FunctionsHost; only where `func` is installed, and not exercised by this repository's
#   tests (Core Tools cannot be installed on its machines).
# State: .run/ (gitignored): dev keys, logs in .run/logs/*.log, redis working dir, Azurite's data.
set -euo pipefail
# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$ROOT"

RUN_DIR="$ROOT/.run"
LOG_DIR="$RUN_DIR/logs"
mkdir -p "$LOG_DIR" "$RUN_DIR/redis" "$RUN_DIR/azurite"

on_exit() {
  local rc=$?
  trap - EXIT INT TERM
  stop_all
  if [ "$rc" -ne 0 ] && [ "$rc" -ne 130 ] && [ "$rc" -ne 143 ]; then
    warn "dev.sh stopped with status $rc; logs are in ${LOG_DIR#"$ROOT"/}/"
  else
    log "stopped"
  fi
  exit "$rc"
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A pick: the variable when set (must be free), else the default when free, else any free port.
pick_port() {
  local requested=$1 default=$2 name=$3
  if [ -n "$requested" ]; then
    port_in_use "$requested" && die "$name port $requested is taken"
    echo "$requested"
  else
    port_or_free "$default"
  fi
}

# A development secret kept in .run/NAME, created once.
dev_secret() {
  local file="$RUN_DIR/$1"
  if [ ! -s "$file" ]; then
    (umask 077 && random_hex "$2" >"$file")
  fi
  cat "$file"
}

bash "$ROOT/scripts/ensure-deps.sh"

if [ "${PUSH_SKIP_BUILD:-0}" != 1 ]; then
  log "building (Release): the app and its host, emulator and sample backend"
  : >"$LOG_DIR/build.log"
  for project in tools/FunctionsHost/FunctionsHost.csproj tools/SignalREmulator/SignalREmulator.csproj \
    samples/TodoBackend/TodoBackend.csproj; do
    if ! dotnet build "$ROOT/$project" -c Release -nologo -v q >>"$LOG_DIR/build.log" 2>&1; then
      log_tail "$LOG_DIR/build.log" 40
      die "building $project failed (full log: .run/logs/build.log)"
    fi
  done
fi
[ -f "$HOST_DLL" ] || die "missing $HOST_DLL"
[ -f "$APP_DIR/functions.metadata" ] || die "missing the app's build output: $APP_DIR/functions.metadata"
[ -f "$EMULATOR_DLL" ] || die "missing $EMULATOR_DLL"
SAMPLE_DIR="$ROOT/samples/TodoBackend"
SAMPLE_DLL=${PUSH_SAMPLE_DLL:-"$SAMPLE_DIR/bin/Release/net10.0/TodoBackend.dll"}
[ -f "$SAMPLE_DLL" ] || die "missing $SAMPLE_DLL"

REDIS_PORT=$(pick_port "${PUSH_REDIS_PORT:-}" 6399 redis)
EMULATOR_PORT=$(pick_port "${PUSH_EMULATOR_PORT:-}" 8888 emulator)
APP_PORT=$(pick_port "${PUSH_APP_PORT:-}" 7071 app)
DEMO_PORT=$(pick_port "${PUSH_DEMO_PORT:-}" 5173 demo)
AZURITE_PORT=$(pick_port "${PUSH_AZURITE_PORT:-}" 10000 azurite)
APP_URL="http://127.0.0.1:$APP_PORT"
SERVER_KEY=$(dev_secret dev-server-key 24)
SIGNING_KEY=$(dev_secret dev-session-signing-key 32)
EMULATOR_KEY=$(dev_secret dev-emulator-access-key 22)
CORS_ORIGINS=${PUSH_CORS_ORIGINS:-http://localhost:5173,http://127.0.0.1:5173,http://localhost:8080,http://127.0.0.1:8080}
# The demo page calls PushFunctions from its own origin (negotiate, sync, online, logout).
for origin in "http://127.0.0.1:$DEMO_PORT" "http://localhost:$DEMO_PORT"; do
  case ",$CORS_ORIGINS," in *",$origin,"*) ;; *) CORS_ORIGINS="$CORS_ORIGINS,$origin" ;; esac
done

# --- redis -------------------------------------------------------------------------------
log "starting redis-server on 127.0.0.1:$REDIS_PORT"
start_bg redis "$LOG_DIR/redis.log" redis-server --port "$REDIS_PORT" --bind 127.0.0.1 \
  --save '' --appendonly no --dir "$RUN_DIR/redis" --loglevel notice

if ! wait_until 20 "redis on port $REDIS_PORT" redis_ping "$REDIS_PORT"; then
  log_tail "$LOG_DIR/redis.log"
  die "redis-server did not start"
fi

# --- Azurite: the Functions host's storage (timer locks and schedule status) ----------------
log "starting Azurite (blob service) on 127.0.0.1:$AZURITE_PORT, data in .run/azurite"
start_bg azurite "$LOG_DIR/azurite.log" bash "$ROOT/scripts/azurite.sh" "$AZURITE_PORT" "$RUN_DIR/azurite"
AZURITE_PID=$BG_PID
azurite_ready() { ! alive "$AZURITE_PID" || grep -q 'successfully listens on' "$LOG_DIR/azurite.log"; }
if ! wait_until 60 "Azurite to listen" azurite_ready || ! alive "$AZURITE_PID"; then
  log_tail "$LOG_DIR/azurite.log"
  die "Azurite did not start"
fi
STORAGE=$(sed -n 's/^AzureWebJobsStorage: //p' "$LOG_DIR/azurite.log" | head -n 1)

# --- SignalR emulator ----------------------------------------------------------------------
log "starting the SignalR emulator on 127.0.0.1:$EMULATOR_PORT"
start_bg emulator "$LOG_DIR/emulator.log" \
  env -C "$(dirname "$EMULATOR_DLL")" "$(runner_for "$EMULATOR_DLL")" "$EMULATOR_DLL" \
  --port "$EMULATOR_PORT" --host 127.0.0.1 --access-key "$EMULATOR_KEY" \
  --upstream "$APP_URL/api/signalr/{hub}/{category}/{event}"
EMULATOR_PID=$BG_PID
emulator_ready() {
  alive "$EMULATOR_PID" || return 0   # the check below reports it
  grep -q '^ConnectionString: ' "$LOG_DIR/emulator.log"
}
if ! wait_until 60 "the emulator's ConnectionString line" emulator_ready || ! alive "$EMULATOR_PID"; then
  log_tail "$LOG_DIR/emulator.log"
  die "the SignalR emulator did not start"
fi
SIGNALR_CONNECTION_STRING=$(sed -n 's/^ConnectionString: //p' "$LOG_DIR/emulator.log" | head -n 1 | tr -d '\r')
EMULATOR_URL=$(sed -n 's/^SignalREmulator listening on //p' "$LOG_DIR/emulator.log" | head -n 1 | tr -d '\r')
EMULATOR_URL=${EMULATOR_URL:-http://127.0.0.1:$EMULATOR_PORT}

# --- the app -------------------------------------------------------------------------------
APP_SETTINGS=(
  AzureWebJobsStorage="$STORAGE"
  AzureSignalRConnectionString="$SIGNALR_CONNECTION_STRING"
  RedisConnectionString="127.0.0.1:$REDIS_PORT"
  PushServerKeys="$SERVER_KEY"
  SessionSigningKeys="$SIGNING_KEY"
  CorsAllowedOrigins="$CORS_ORIGINS"
  # The app's metrics printed to app.log (docs/OBSERVABILITY.md); 0 turns it off.
  Observability__ConsoleMetricsSeconds="${PUSH_METRICS_SECONDS:-15}"
)
if [ "${PUSH_HOST:-local}" = func ]; then
  command -v func >/dev/null 2>&1 || die "PUSH_HOST=func needs Azure Functions Core Tools (func) on the PATH"
  log "starting PushFunctions with func start on $APP_URL (not exercised by the tests)"
  start_bg app "$LOG_DIR/app.log" \
    env -C "$APP_DIR" FUNCTIONS_WORKER_RUNTIME=dotnet-isolated "${APP_SETTINGS[@]}" \
    func start --port "$APP_PORT" --cors "$CORS_ORIGINS" --cors-credentials
else
  log "starting PushFunctions on $APP_URL: the Functions host (tools/FunctionsHost) and its worker process"
  # The host's app settings are its environment, as in Azure; the worker gets them from it.
  start_bg app "$LOG_DIR/app.log" \
    env -u ASPNETCORE_URLS "${APP_SETTINGS[@]}" \
    "$(runner_for "$HOST_DLL")" "$HOST_DLL" --app-dir "$APP_DIR" --urls "$APP_URL"
fi
APP_PID=$BG_PID
app_ready() { ! alive "$APP_PID" || [ "$(http_status "$APP_URL/api/health")" = 200 ]; }
if ! wait_until 90 "$APP_URL/api/health to answer 200" app_ready || ! alive "$APP_PID"; then
  log_tail "$LOG_DIR/app.log"
  die "PushFunctions did not become healthy"
fi
# The worker process the host started, with the endpoint arguments the host gave it.
WORKER=$(ps -o pid=,args= --ppid "$APP_PID" 2>/dev/null | grep -E 'PushFunctions\.dll' | head -n 1 | sed 's/^ *//' || true)

# --- the sample main backend and its demo page ---------------------------------------------
# It calls PushFunctions with the server key (never sent to the browser); the page it serves
# talks to PushFunctions directly (CORS, above) and to the SignalR emulator (WebSocket).
DEMO_URL="http://127.0.0.1:$DEMO_PORT"
log "starting the sample backend and demo page on $DEMO_URL"
start_bg demo "$LOG_DIR/demo.log" \
  env -C "$SAMPLE_DIR" -u ASPNETCORE_URLS \
  ASPNETCORE_ENVIRONMENT=Development \
  PushFunctions__BaseUrl="$APP_URL" \
  PushFunctions__ServerKey="$SERVER_KEY" \
  "$(runner_for "$SAMPLE_DLL")" "$SAMPLE_DLL" --urls "$DEMO_URL" --contentRoot "$SAMPLE_DIR"
DEMO_PID=$BG_PID
demo_ready() { ! alive "$DEMO_PID" || [ "$(http_status "$DEMO_URL/healthz")" = 200 ]; }
if ! wait_until 60 "$DEMO_URL/healthz to answer 200" demo_ready || ! alive "$DEMO_PID"; then
  log_tail "$LOG_DIR/demo.log"
  die "the sample backend did not start"
fi

rel() { echo "${1#"$ROOT"/}"; }
cat <<EOF

================================================================================
 PushFunctions is running (Ctrl-C stops everything)

   app (API)        $APP_URL/api        health: $APP_URL/api/health
     host           tools/FunctionsHost (pid $APP_PID), running the worker process:
     worker         ${WORKER:-(started by func)}
   SignalR emulator $EMULATOR_URL   stats:  $EMULATOR_URL/_emulator/stats
   redis            127.0.0.1:$REDIS_PORT (no persistence)
   Azurite          http://127.0.0.1:$AZURITE_PORT (AzureWebJobsStorage: the timers' locks; data in $(rel "$RUN_DIR")/azurite)
   demo page        $DEMO_URL/   (open it in two windows; sign in with any name)

   development server key (x-functions-key): $SERVER_KEY
     kept in $(rel "$RUN_DIR")/dev-server-key; delete .run/ for new keys
   logs: $(rel "$LOG_DIR")/{redis,emulator,azurite,app,demo}.log (app.log: the host's log, the worker's in it)
   metrics: every ${PUSH_METRICS_SECONDS:-15} s in $(rel "$LOG_DIR")/app.log (meter PushFunctions, docs/OBSERVABILITY.md)

 Try it:
   # log a user in (what the main backend does); prints {sessionId, sessionToken, ...}
   curl -s -X POST $APP_URL/api/login \\
     -H 'x-functions-key: $SERVER_KEY' -H 'content-type: application/json' \\
     -d '{"userId":"alice","userName":"Alice","device":"laptop"}'

   # send alice a private message
   curl -s -X POST $APP_URL/api/users/alice/messages \\
     -H 'x-functions-key: $SERVER_KEY' -H 'content-type: application/json' \\
     -d '{"payload":{"text":"hello"}}'

   # what alice missed (use the sessionToken from the login)
   curl -s -X POST $APP_URL/api/sync -H 'authorization: Bearer SESSION_TOKEN' \\
     -H 'content-type: application/json' -d '{"cursors":{}}'
================================================================================

EOF

# Run until Ctrl-C, or until one of the processes dies.
while :; do
  for i in "${!BG_PIDS[@]}"; do
    if ! alive "${BG_PIDS[$i]}"; then
      name=${BG_NAMES[$i]}
      log_tail "$LOG_DIR/$name.log"
      die "$name exited unexpectedly (log: $(rel "$LOG_DIR")/$name.log)"
    fi
  done
  sleep 1
done
