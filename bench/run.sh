#!/usr/bin/env bash
# Load benchmark of PushFunctions: builds bench/PushFunctions.Bench in Release and runs it.
#   bash bench/run.sh            N = 100 and 1,000 connections (about 3 minutes)
#   bash bench/run.sh --quick    small N, short phases: a smoke check (about 1 minute)
# Further options go to the tool: --n 100,1000,2000  --concurrency 32  --duration 6  --recover 10000
#   --cluster (a three-master Redis Cluster, scripts/redis-cluster.sh)  --instances 2 (app instances behind a
#   round-robin proxy, as in Azure)
#   --profile (only the one-call-at-a-time hot-path sections)
#   --in-process (the app in this process behind the local Functions host, instead of its worker process behind
#   it as Azure runs it: the difference is what the host hop costs)
#   --app DIR (the worker runs from DIR, e.g. a package made by scripts/package.sh, instead of the Release build output)
#   --stages (user sends only, the app in its worker process: its CPU and bytes per send, and per stage, from perf
#   and the runtime's allocation events; --rounds 3, --stacks for the stacks behind each stage)
# Needs redis-server on PATH (scripts/ensure-deps.sh installs it). Results: see bench/RESULTS.md.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
command -v redis-server >/dev/null || { echo "redis-server is missing: bash scripts/ensure-deps.sh" >&2; exit 1; }
# The bench project builds the app too: its build output is what the host runs as the worker.
dotnet build -c Release -nologo -v quiet "$here/PushFunctions.Bench/PushFunctions.Bench.csproj" >&2
exec dotnet "$here/PushFunctions.Bench/bin/Release/net10.0/PushFunctions.Bench.dll" "$@"
