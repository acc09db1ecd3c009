#!/usr/bin/env bash
# A real Redis Cluster on loopback for the tests and the benchmark: three masters
# (redis-server --cluster-enabled yes, free ports, no persistence, each in DIR/<port>/), the
# 16384 slots spread over them by `redis-cli --cluster create`, no replicas. Azure Managed
# Redis is a cluster, so a script or command that touches keys of two slots fails here with
# CROSSSLOT as it would there.
#
#   bash scripts/redis-cluster.sh start DIR [OWNER_PID]
#       Starts the cluster (or finds it already running in DIR: idempotent) and prints its
#       StackExchange.Redis configuration string, "127.0.0.1:p1,127.0.0.1:p2,127.0.0.1:p3".
#       With OWNER_PID, a watchdog stops the cluster and deletes DIR once that process is gone.
#   bash scripts/redis-cluster.sh stop DIR
#       Stops the nodes (SIGTERM, then SIGKILL) and deletes DIR. Nothing running: nothing to do.
set -euo pipefail
# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

MASTERS=3
action=${1:-}
dir=${2:-}
[ -n "$action" ] && [ -n "$dir" ] || die "usage: $0 start|stop DIR [OWNER_PID]"

# The nodes' ports, from the directories of a cluster already started in DIR.
ports() { find "$dir" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' 2>/dev/null | grep -E '^[0-9]+$' | sort -n; }
connection_string() { ports | sed 's/^/127.0.0.1:/' | paste -sd, -; }
cluster_ok() { [ "$(redis-cli -p "$1" cluster info 2>/dev/null | tr -d '\r' | sed -n 's/^cluster_state://p')" = ok ]; }

stop_cluster() {
  local port pid
  for port in $(ports); do
    pid=$(cat "$dir/$port/pid" 2>/dev/null || true)
    [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null || true
  done
  for port in $(ports); do
    pid=$(cat "$dir/$port/pid" 2>/dev/null || true)
    [ -n "$pid" ] || continue
    for _ in $(seq 50); do alive "$pid" || break; sleep 0.1; done
    alive "$pid" && kill -KILL "$pid" 2>/dev/null || true
  done
  rm -rf "$dir"
}

start_cluster() {
  local owner=${1:-} port node_ports=() all_up=1
  command -v redis-server >/dev/null && command -v redis-cli >/dev/null \
    || die "redis-server and redis-cli are needed: bash scripts/ensure-deps.sh"
  if [ "$(ports | wc -l)" -eq "$MASTERS" ]; then
    for port in $(ports); do redis_ping "$port" && cluster_ok "$port" || all_up=0; done
    if [ "$all_up" -eq 1 ]; then connection_string; return 0; fi
    stop_cluster # a half-started or broken one: start afresh
  fi
  mkdir -p "$dir"
  for _ in $(seq "$MASTERS"); do
    port=$(free_port)
    mkdir -p "$dir/$port"
    # The cluster bus port is chosen free too: by default it is port + 10000, which another process may hold.
    # Its own session, so that a Ctrl-C of the caller's terminal group does not stop it half-way.
    setsid redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --dir "$dir/$port" \
      --cluster-enabled yes --cluster-config-file nodes.conf --cluster-node-timeout 5000 --cluster-port "$(free_port)" \
      --loglevel warning --logfile "$dir/$port/redis.log" --daemonize no </dev/null >/dev/null 2>&1 &
    echo $! >"$dir/$port/pid"
    node_ports+=("$port")
  done
  for port in "${node_ports[@]}"; do
    wait_until 20 "redis-server on port $port" redis_ping "$port" || { log_tail "$dir/$port/redis.log"; stop_cluster; die "a cluster node did not start"; }
  done
  redis-cli --cluster create $(printf '127.0.0.1:%s ' "${node_ports[@]}") --cluster-replicas 0 --cluster-yes \
    >"$dir/create.log" 2>&1 || { log_tail "$dir/create.log"; stop_cluster; die "redis-cli --cluster create failed"; }
  # Every node must know every slot's owner before a client's first command.
  for port in "${node_ports[@]}"; do
    wait_until 30 "cluster_state:ok on port $port" cluster_ok "$port" || { stop_cluster; die "the cluster did not become ready"; }
  done
  if [ -n "$owner" ]; then
    setsid bash -c 'while kill -0 "$1" 2>/dev/null; do sleep 1; done; exec bash "$2" stop "$3"' \
      watchdog "$owner" "${BASH_SOURCE[0]}" "$dir" </dev/null >/dev/null 2>&1 &
  fi
  connection_string
}

case "$action" in
  start) start_cluster "${3:-}" ;;
  stop) stop_cluster ;;
  *) die "usage: $0 start|stop DIR [OWNER_PID]" ;;
esac
