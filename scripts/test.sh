#!/usr/bin/env bash
# Runs every test: builds once (Release), runs `dotnet test` on each test project of the
# solution, then the Node suites: the browser client's tests (client/), the end-to-end
# tests (tests/e2e; a subset again in the Microsoft Entra auth mode) and the chaos run
# (tests/chaos). Prints a table per suite and, as its last line, "N passed, N failed" for
# the whole run. Exits non-zero when anything failed, a runner crashed or timed out (a
# runner that ends without a summary counts as 1 failed), a runner ran no test, a listed test
# file is missing, or the build failed (each counted as 1 failed).
#
# The app runs as in Azure: the local Functions host (tools/FunctionsHost) starts its build output as its
# worker process, in every e2e, browser and chaos system. The integration tests run the app in the host's
# in-process path, then a third time through the worker process (PUSH_TEST_HOST=worker; the classes that read
# the app's services in process or use no host at all are left out by trait). One Azurite (the hosts' storage
# for their timers' locks) serves the whole run (PUSH_TEST_STORAGE, E2E_STORAGE); each system has its own host id.
#
# Scale-out variants: the integration tests run a second time against a three-master Redis
# Cluster (PUSH_TEST_REDIS=cluster), and the e2e files that prove delivery, idempotency, presence,
# account deletion and sessions run a second time against the cluster with two app instances behind a
# round-robin balancer (E2E_REDIS_CLUSTER=1 E2E_INSTANCES=2), and the chaos run once more on the cluster with
# two instances (CHAOS_REDIS_CLUSTER=1 CHAOS_INSTANCES=2).
#
# Knobs: TEST_TIMEOUT (per runner, default 20m), E2E_CONCURRENCY (test files run at once,
# default 2), TEST_SKIP_DOTNET=1, TEST_SKIP_CLIENT=1, TEST_SKIP_E2E=1, TEST_SKIP_BROWSER=1, TEST_SKIP_CHAOS=1,
# TEST_SKIP_SCALEOUT=1 (the cluster / two-instance variants).
# Logs: .run/test-logs/<suite>.log
set -uo pipefail
# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$ROOT" || exit 1

TEST_TIMEOUT=${TEST_TIMEOUT:-20m}
E2E_CONCURRENCY=${E2E_CONCURRENCY:-2}
LOG_DIR="$ROOT/.run/test-logs"
rm -rf "$LOG_DIR" "$ROOT/.run/e2e-logs" "$ROOT/.run/chaos-logs"
mkdir -p "$LOG_DIR"
# Plain console output from dotnet (the terminal logger reformats the summary lines we read).
export MSBUILDTERMINALLOGGER=off DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

# ---- results ----------------------------------------------------------------------------
S_NAME=() S_PASSED=() S_FAILED=() S_SKIPPED=() S_RESULT=() S_SECS=()
record() { # name passed failed skipped result seconds
  S_NAME+=("$1"); S_PASSED+=("$2"); S_FAILED+=("$3"); S_SKIPPED+=("$4"); S_RESULT+=("$5"); S_SECS+=("$6")
}

print_summary() {
  local i tp=0 tf=0 ts=0
  printf '\n%-36s %7s %7s %8s %7s  %s\n' suite passed failed skipped time result
  printf '%s\n' "--------------------------------------------------------------------------------"
  for i in "${!S_NAME[@]}"; do
    printf '%-36s %7s %7s %8s %6ss  %s\n' "${S_NAME[$i]}" "${S_PASSED[$i]}" "${S_FAILED[$i]}" \
      "${S_SKIPPED[$i]}" "${S_SECS[$i]}" "${S_RESULT[$i]}"
    tp=$(( tp + S_PASSED[i] )); tf=$(( tf + S_FAILED[i] )); ts=$(( ts + S_SKIPPED[i] ))
  done
  printf '%s\n' "--------------------------------------------------------------------------------"
  printf '%-36s %7s %7s %8s\n' total "$tp" "$tf" "$ts"
  printf '(logs: %s/)\n\n' "${LOG_DIR#"$ROOT"/}"
  TOTAL_FAILED=$tf
  printf '%d passed, %d failed\n' "$tp" "$tf"
}

# ---- running one runner, bounded, interruptible ---------------------------------------------
# run_bounded LOGFILE COMMAND...: runs COMMAND under `timeout` (which kills its whole process
# group when the limit passes), output to LOGFILE and to the screen. Sets RUN_RC and RUN_SECS.
CURRENT_PID=""
run_bounded() {
  local logfile=$1 start tail_pid
  shift
  start=$(date +%s)
  : >"$logfile"
  timeout --kill-after=30s "$TEST_TIMEOUT" "$@" >"$logfile" 2>&1 </dev/null &
  CURRENT_PID=$!
  tail -n +1 -f --pid="$CURRENT_PID" "$logfile" &
  tail_pid=$!
  wait "$CURRENT_PID"
  RUN_RC=$?
  CURRENT_PID=""
  wait "$tail_pid" 2>/dev/null
  RUN_SECS=$(( $(date +%s) - start ))
}

on_interrupt() {
  trap - INT TERM
  stop_all
  if [ -n "$CURRENT_PID" ]; then
    warn "interrupted: stopping the running suite"
    # timeout leads its own process group and passes the signal on to everything in it.
    kill -TERM "$CURRENT_PID" 2>/dev/null
    kill -TERM -- "-$CURRENT_PID" 2>/dev/null
    wait "$CURRENT_PID" 2>/dev/null
  fi
  record "(interrupted)" 0 1 0 "INTERRUPTED" 0
  print_summary
  exit 130
}
trap on_interrupt INT TERM

# result text and failed-count adjustment for a runner that gave counts (or did not)
# judge NAME RC FOUND PASSED FAILED SKIPPED
judge() {
  local name=$1 rc=$2 found=$3 p=$4 f=$5 s=$6 result
  if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
    result="TIMED OUT after $TEST_TIMEOUT"; [ "$f" -gt 0 ] || f=1
  elif [ "$found" -eq 0 ] && [ "$rc" -ne 0 ]; then
    result="CRASHED (exit $rc, no summary)"; f=1
  elif [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
    result="FAILED (exit $rc)"; f=1
  elif [ "$f" -gt 0 ]; then
    result="FAILED"
  elif [ "$found" -eq 0 ] || [ "$p" -eq 0 ]; then
    # A runner that ran nothing (or skipped all) proves nothing: a renamed folder, a broken filter or discovery.
    result="FAILED (no tests ran)"; f=1
  else
    result="ok"
  fi
  record "$name" "$p" "$f" "$s" "$result" "$RUN_SECS"
}

# ---- 0. dependencies ------------------------------------------------------------------------
log "ensuring dependencies"
if ! bash "$ROOT/scripts/ensure-deps.sh"; then
  record "ensure-deps" 0 1 0 "FAILED (see output above)" 0
  print_summary
  exit 1
fi

# ---- 1. build once ------------------------------------------------------------------------
SOLUTION=$(find "$ROOT" -maxdepth 1 -name '*.sln' | sort | head -n 1)
# The solution's projects, as paths relative to the root.
solution_projects() {
  if [ -n "$SOLUTION" ]; then
    grep -oE '[^"<>]+\.csproj' "$SOLUTION" | sed 's|\\|/|g'
  else
    (cd "$ROOT" && find . -mindepth 3 -maxdepth 3 -name '*.csproj' | sed 's|^\./||' | sort)
  fi
}
if [ "${TEST_SKIP_DOTNET:-0}" != 1 ] || [ "${TEST_SKIP_E2E:-0}" != 1 ] || [ "${TEST_SKIP_BROWSER:-0}" != 1 ] || [ "${TEST_SKIP_CHAOS:-0}" != 1 ]; then
  log "building ${SOLUTION#"$ROOT"/} (Release)"
  run_bounded "$LOG_DIR/build.log" dotnet build "$SOLUTION" -c Release -nologo
  if [ "$RUN_RC" -eq 0 ]; then
    record build 0 0 0 ok "$RUN_SECS"
  else
    # One broken project (even a failed restore) stops the whole solution's build; build the
    # projects one by one so that the others' tests still run, and name the broken ones.
    build_secs=$RUN_SECS
    broken=()
    while read -r project; do
      [ -f "$ROOT/$project" ] || continue
      log "building $project (Release) on its own"
      run_bounded "$LOG_DIR/build-$(basename "$project" .csproj).log" dotnet build "$ROOT/$project" -c Release -nologo
      build_secs=$(( build_secs + RUN_SECS ))
      [ "$RUN_RC" -eq 0 ] || broken+=("$(basename "$project" .csproj)")
    done < <(solution_projects)
    record build 0 1 0 "FAILED: ${broken[*]:-the solution} (see .run/test-logs/build*.log)" "$build_secs"
  fi
fi

# ---- Azurite for the whole run ---------------------------------------------------------------
# The Functions hosts' storage (AzureWebJobsStorage: their timers' locks), in memory, stopped at the end.
if [ "${TEST_SKIP_DOTNET:-0}" != 1 ] || [ "${TEST_SKIP_E2E:-0}" != 1 ] || [ "${TEST_SKIP_BROWSER:-0}" != 1 ] || [ "${TEST_SKIP_CHAOS:-0}" != 1 ]; then
  AZURITE_PORT=$(free_port)
  start_bg azurite "$LOG_DIR/azurite.log" bash "$ROOT/scripts/azurite.sh" "$AZURITE_PORT" memory
  trap 'stop_all' EXIT
  if wait_until 60 "Azurite to listen" grep -q 'successfully listens on' "$LOG_DIR/azurite.log"; then
    PUSH_TEST_STORAGE=$(sed -n 's/^AzureWebJobsStorage: //p' "$LOG_DIR/azurite.log" | head -n 1)
    export PUSH_TEST_STORAGE E2E_STORAGE="$PUSH_TEST_STORAGE"
  else
    log_tail "$LOG_DIR/azurite.log"
    warn "Azurite did not start: each test system starts its own"
  fi
fi

# ---- 2. dotnet test per test project ------------------------------------------------------
# Test projects: the solution's projects that reference the test SDK.
test_projects() {
  local p
  solution_projects | while read -r p; do
    [ -f "$ROOT/$p" ] || continue
    grep -qE 'Microsoft\.NET\.Test\.Sdk|<IsTestProject>\s*true' "$ROOT/$p" && echo "$p"
  done
}

# run_dotnet_test NAME PROJECT [ENV=VALUE...] [-- DOTNET_TEST_ARGS...]: `dotnet test` on one project; counts from its summary lines.
run_dotnet_test() {
  local name=$1 project=$2 logfile found p f s environment=() arguments=()
  shift 2
  while [ $# -gt 0 ] && [ "$1" != -- ]; do environment+=("$1"); shift; done
  [ $# -gt 0 ] && shift && arguments=("$@")
  logfile="$LOG_DIR/${name//[^A-Za-z0-9._-]/-}.log"
  log "dotnet test $project ${environment[*]} ${arguments[*]}"
  run_bounded "$logfile" env "${environment[@]}" dotnet test "$ROOT/$project" --no-build -c Release -nologo "${arguments[@]}"
  # One summary line per test assembly, e.g.
  #   Passed!  - Failed:     0, Passed:    12, Skipped:     0, Total:    12, Duration: 1 s - X.dll (net10.0)
  read -r found p f s < <(sed -nE 's/^.*(Passed|Failed)! +- +Failed: +([0-9]+), +Passed: +([0-9]+), +Skipped: +([0-9]+), +Total: +([0-9]+).*$/\3 \2 \4/p' "$logfile" \
    | awk '{p+=$1; f+=$2; s+=$3; n++} END {printf "%d %d %d %d\n", n, p, f, s}')
  judge "$name" "$RUN_RC" "$found" "$p" "$f" "$s"
}

if [ "${TEST_SKIP_DOTNET:-0}" != 1 ]; then
  while read -r project; do
    [ -n "$project" ] || continue
    run_dotnet_test "$(basename "$project" .csproj)" "$project"
  done < <(test_projects)
  # The app against a three-master Redis Cluster (RedisCluster in Support/RedisServer.cs): every
  # script and command of every route must keep to one hash slot.
  if [ "${TEST_SKIP_SCALEOUT:-0}" != 1 ] && [ -f "$ROOT/tests/PushFunctions.IntegrationTests/PushFunctions.IntegrationTests.csproj" ]; then
    run_dotnet_test "IntegrationTests: cluster" tests/PushFunctions.IntegrationTests/PushFunctions.IntegrationTests.csproj PUSH_TEST_REDIS=cluster
  fi
  # Once through the app's worker process behind the Functions host, as Azure runs it. Left out: the classes that
  # read the app's meter or services in this process (Host=in-process) and those that use no host (Host=none).
  if [ -f "$ROOT/tests/PushFunctions.IntegrationTests/PushFunctions.IntegrationTests.csproj" ]; then
    run_dotnet_test "IntegrationTests: worker process" tests/PushFunctions.IntegrationTests/PushFunctions.IntegrationTests.csproj \
      PUSH_TEST_HOST=worker -- --filter "Host!=in-process&Host!=none"
  fi
fi

# ---- 3. Node test suites (node --test) -------------------------------------------------------
# run_node_suite NAME DIR [ARGS...]: `node --test ARGS` in DIR; counts from its TAP summary.
# NODE_SUITE_ENV (an array of NAME=VALUE) is passed to that one run.
NODE_SUITE_ENV=()
run_node_suite() {
  local name=$1 dir=$2 tapfile logname p f c s t found
  shift 2
  logname=${name//[^A-Za-z0-9._-]/-}
  tapfile="$LOG_DIR/$logname.tap"
  : >"$tapfile"
  log "node --test in ${dir#"$ROOT"/} ${NODE_SUITE_ENV[*]} $*"
  run_bounded "$LOG_DIR/$logname.log" env -C "$dir" "${NODE_SUITE_ENV[@]}" node --test \
    --test-reporter=spec --test-reporter-destination=stdout \
    --test-reporter=tap --test-reporter-destination="$tapfile" "$@"
  # node's TAP summary: "# pass N", "# fail N", "# cancelled N", "# skipped N", "# todo N"
  tap_count() { sed -nE "s/^# $1 ([0-9]+)\$/\1/p" "$tapfile" | tail -n 1; }
  p=$(tap_count pass); f=$(tap_count fail); c=$(tap_count cancelled); s=$(tap_count skipped); t=$(tap_count todo)
  found=0; [ -n "$p" ] && found=1
  judge "$name (node --test)" "$RUN_RC" "$found" "${p:-0}" $(( ${f:-0} + ${c:-0} )) $(( ${s:-0} + ${t:-0} ))
}

# The browser client's unit tests (its package.json: "test": "node --test test/").
if [ "${TEST_SKIP_CLIENT:-0}" != 1 ] && [ -d "$ROOT/client/test" ]; then
  run_node_suite client "$ROOT/client" test/
fi

# End-to-end: each test file starts its own Redis, emulator and app (the Functions host and its worker:
# with the emulator, three dotnet processes), so E2E_CONCURRENCY files at once fit the 2 cores.
if [ "${TEST_SKIP_E2E:-0}" != 1 ] && [ -d "$ROOT/tests/e2e/test" ]; then
  run_node_suite e2e "$ROOT/tests/e2e" --test-concurrency="$E2E_CONCURRENCY" --test-timeout=300000
  # Again on what Azure runs: a three-master Redis Cluster (scripts/redis-cluster.sh) and two app instances
  # behind a round-robin balancer (the main backend's calls, browsers' calls and upstream events alternate),
  # for the files that prove delivery once and in order, idempotency under racing retries, presence (a lost
  # connected event too) and the bounded online pushes, account deletion and session revocation. Not the
  # Redis-outage file (it stops the one redis-server) nor the rate limits (per instance by design).
  if [ "${TEST_SKIP_SCALEOUT:-0}" != 1 ]; then
    NODE_SUITE_ENV=(E2E_REDIS_CLUSTER=1 E2E_INSTANCES=2)
    scaleout_files=()
    for file in private-messages idempotency presence presence-coalescing presence-lease presence-lost-connected \
                account-deletion sessions rooms offline-sync sync broadcast; do
      if [ -f "$ROOT/tests/e2e/test/$file.test.mjs" ]; then scaleout_files+=("test/$file.test.mjs")
      else record "e2e: cluster, 2 apps: $file" 0 1 0 "FAILED: test/$file.test.mjs is listed but missing" 0; fi
    done
    run_node_suite "e2e: cluster, 2 apps" "$ROOT/tests/e2e" --test-concurrency="$E2E_CONCURRENCY" --test-timeout=300000 "${scaleout_files[@]}"
    NODE_SUITE_ENV=()
  fi
fi

# The same cases in the Azure auth mode (Microsoft Entra, what infra/main.bicep deploys): a subset
# that makes every kind of REST call and upstream event, about a minute.
if [ "${TEST_SKIP_E2E:-0}" != 1 ] && [ -d "$ROOT/tests/e2e/test" ]; then
  export E2E_AUTH=entra
  run_node_suite e2e-entra "$ROOT/tests/e2e" --test-concurrency="$E2E_CONCURRENCY" --test-timeout=300000 \
    test/private-messages.test.mjs test/broadcast.test.mjs test/rooms.test.mjs test/presence.test.mjs \
    test/account-deletion.test.mjs test/offline-sync.test.mjs
  unset E2E_AUTH
fi

# Browser: the demo page (samples/TodoBackend) in headless Chromium, driven by playwright-core,
# against Redis, the emulator, the app and the sample backend: one system and one Chromium for
# the whole file, so one file at a time. Logs in .run/e2e-logs/browser-demo-*/.
if [ "${TEST_SKIP_BROWSER:-0}" != 1 ] && [ -d "$ROOT/tests/browser/test" ]; then
  run_node_suite browser "$ROOT/tests/browser" --test-concurrency=1 --test-timeout=300000
fi

# Chaos: one bounded run (about 2 minutes, capped at 3) that kills -9 and restarts Redis, the
# emulator, the app's Functions host and its worker process while clients churn, then checks every
# accepted send was delivered exactly once, in order. Its own processes and ports; logs in .run/chaos-logs/.
if [ "${TEST_SKIP_CHAOS:-0}" != 1 ] && [ -d "$ROOT/tests/chaos/test" ]; then
  run_node_suite chaos "$ROOT/tests/chaos" --test-concurrency=1 --test-timeout=240000
  # Again on a three-master Redis Cluster (each node AOF, kill -9 one node at a time) with two app instances
  # behind a round-robin balancer (kill -9 one instance at a time).
  if [ "${TEST_SKIP_SCALEOUT:-0}" != 1 ]; then
    NODE_SUITE_ENV=(CHAOS_REDIS_CLUSTER=1 CHAOS_INSTANCES=2)
    run_node_suite "chaos: cluster, 2 apps" "$ROOT/tests/chaos" --test-concurrency=1 --test-timeout=240000 test/chaos.test.mjs
    NODE_SUITE_ENV=()
  fi
fi

trap - INT TERM
stop_all
print_summary
[ "$TOTAL_FAILED" -eq 0 ]
