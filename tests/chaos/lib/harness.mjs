// Chaos harness: redis-server (AOF, appendfsync always), the SignalR emulator and PushFunctions as
// plain processes, each of which can be killed with SIGKILL and started again on the SAME port
// (Redis with the same AOF directory, the emulator with the same access key), so that clients and
// the app see exactly what a crash and a restart look like. PushFunctions is two processes, as in
// Azure: the Functions host ("app", tools/FunctionsHost; killing it kills its worker too) and the
// worker process it starts ("worker": killed alone, the host starts a new one by itself, as the
// Functions host does).
//
//   const sys = await startChaosSystem({ name: "chaos" });
//   await sys.kill9("redis"); await sys.restart("redis");
//   await sys.kill9("worker"); await sys.restart("worker");   // waits for the host's new worker
//   await sys.stop();            // always (also runs on process exit / SIGINT / SIGTERM)
//
// Scale-out: {cluster: true} runs a three-master Redis Cluster (each node AOF, appendfsync
// always, in its own dir) and {instances: 2} two app instances behind a round-robin balancer; "redis" and
// "app" are then groups whose kill9 kills one member in turn (one shard, one instance) and whose restart
// starts it again on its port. Defaults: CHAOS_REDIS_CLUSTER=1, CHAOS_INSTANCES=2 in the environment.
//
// Each incarnation of a process appends to the same log file (<logDir>/<name>.log) after a
// "==== start #N" marker line, so a log reads as the component's whole life during the run.
import { execFile, spawn } from "node:child_process";
import { APP_DIR, holdPort, http as e2eHttp, roundRobinProxy, storage, waitFor } from "../../e2e/lib/system.mjs";
import { randomBytes } from "node:crypto";
import { appendFileSync, createWriteStream, existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const HOST_DLL = process.env.E2E_HOST_DLL
  ?? path.join(ROOT, "tools/FunctionsHost/bin/Release/net10.0/FunctionsHost.dll");
const EMULATOR_DLL = process.env.E2E_EMULATOR_DLL
  ?? path.join(ROOT, "tools/SignalREmulator/bin/Release/net10.0/SignalREmulator.dll");
const LOG_ROOT = path.join(ROOT, ".run/chaos-logs");

// ---- small utilities -----------------------------------------------------------------------

// The end-to-end harness's helpers; only the HTTP time limit differs: short, as calls during outages must fail fast.
export { waitFor };

/** One HTTP call: {status, headers, body, text}. Throws on network errors. */
export const http = (method, url, options = {}) => e2eHttp(method, url, { timeoutMs: 10_000, ...options });

/** Sends one inline command to redis on 127.0.0.1:port; resolves with the raw reply, or null. */
export function redisCommand(port, command, timeoutMs = 2000) {
  return new Promise((resolve) => {
    const sock = net.connect({ host: "127.0.0.1", port });
    let data = "";
    const done = (v) => { sock.destroy(); resolve(v); };
    sock.setTimeout(timeoutMs, () => done(null));
    sock.on("error", () => done(null));
    sock.on("close", () => done(data || null));
    sock.on("connect", () => sock.write(`${command}\r\n`));
    sock.on("data", (d) => {
      data += d;
      if (data.endsWith("\r\n")) done(data);
    });
  });
}

// ---- child processes -------------------------------------------------------------------------

const running = new Set();
const tempDirs = new Set();
let exitHooksInstalled = false;
function installExitHooks() {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  // Never leave servers (or Redis's temp dir) behind, whatever ends this process.
  const cleanUp = () => {
    for (const p of running) p.kill("SIGKILL");
    for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  };
  process.on("exit", cleanUp);
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) {
    process.once(sig, () => {
      cleanUp();
      process.exit(128 + (sig === "SIGINT" ? 2 : sig === "SIGTERM" ? 15 : 1));
    });
  }
}

/** What the Functions host logs once a worker it started (or restarted) is ready. */
const WORKER_READY = /Worker process started and initialized \(pid (\d+)/;

/** One incarnation of a server process; output goes to its log file and a short in-memory tail. */
class Incarnation {
  constructor(name, command, args, { cwd, env, logFile }) {
    this.name = name;
    this.lines = [];
    this.exited = null;
    const log = createWriteStream(logFile, { flags: "a" });
    this.proc = spawn(command, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    running.add(this.proc);
    /** A host's ready worker, as its log last said (the tail below may have lost that line). */
    this.workerPid = null;
    const onData = (chunk) => {
      log.write(chunk);
      for (const line of chunk.toString().split(/\r?\n/)) {
        if (!line) continue;
        this.lines.push(line);
        const worker = line.match(WORKER_READY);
        if (worker) this.workerPid = Number(worker[1]);
      }
      if (this.lines.length > 400) this.lines.splice(0, this.lines.length - 200);
    };
    this.proc.stdout.on("data", onData);
    this.proc.stderr.on("data", onData);
    this.exitPromise = new Promise((resolve) => {
      const finish = (exited) => {
        if (this.exited) return;
        this.exited = exited;
        running.delete(this.proc);
        resolve(exited);
      };
      this.proc.on("exit", (code, signal) => finish({ code, signal }));
      this.proc.on("error", (err) => {
        this.lines.push(`spawn error: ${err.message}`);
        finish({ code: -1, signal: null });
      });
    });
    this.exitPromise.then(() => log.end());
  }

  get alive() { return this.exited === null; }

  async kill(signal) {
    if (this.alive) { try { this.proc.kill(signal); } catch { /* gone */ } }
    await this.exitPromise;
  }

  tail(n = 30) { return this.lines.slice(-n).map((l) => `    | ${l}`).join("\n"); }

  died(what) {
    const err = new Error(`${this.name} exited (${JSON.stringify(this.exited)}) before ${what}\n${this.tail()}`);
    err.fatal = true;
    return err;
  }
}

/**
 * A component that can be crashed and restarted: `spec()` gives {command, args, cwd, env};
 * `ready(incarnation)` resolves once it serves.
 */
class Component {
  constructor(name, logDir, spec, ready) {
    this.name = name;
    this.logFile = path.join(logDir, `${name}.log`);
    this.spec = spec;
    this.ready = ready;
    this.current = null;
    /** Started and ready, and not killed since. */
    this.up = false;
    this.starts = 0;
    this.kills = 0;
    /** [{what: "kill9" | "start" | "ready", at}] */
    this.timeline = [];
  }

  get alive() { return this.current?.alive ?? false; }

  /** Starts it (on its fixed port) and waits until it is ready; a process that dies at once is tried again. */
  async start({ readyTimeoutMs = 60_000, attempts = 3 } = {}) {
    if (this.alive) return;
    this.up = false;
    for (let attempt = 1; ; attempt += 1) {
      this.starts += 1;
      appendFileSync(this.logFile, `==== start #${this.starts} at ${new Date().toISOString()}\n`);
      this.timeline.push({ what: "start", at: Date.now() });
      const { command, args, cwd, env } = this.spec();
      const inc = new Incarnation(this.name, command, args, { cwd, env, logFile: this.logFile });
      this.current = inc;
      try {
        await waitFor(async () => {
          if (!inc.alive) throw inc.died("it was ready");
          return this.ready(inc);
        }, readyTimeoutMs, `${this.name} to be ready (log: ${this.logFile})`, 100);
        break;
      } catch (err) {
        // E.g. the port is not free again yet after a kill: try again shortly.
        if (!err.fatal || attempt >= attempts) throw err;
        await sleep(1000);
      }
    }
    this.timeline.push({ what: "ready", at: Date.now() });
    this.up = true;
  }

  /** SIGKILL: no shutdown, no flush, no goodbye to clients. */
  async kill9() {
    if (!this.alive) return;
    this.up = false;
    this.kills += 1;
    this.timeline.push({ what: "kill9", at: Date.now() });
    appendFileSync(this.logFile, `==== SIGKILL at ${new Date().toISOString()}\n`);
    await this.current.kill("SIGKILL");
  }

  async stop() {
    if (!this.current?.alive) return;
    const inc = this.current;
    inc.proc.kill("SIGTERM");
    const t = sleep(5000).then(() => "timeout");
    if ((await Promise.race([inc.exitPromise, t])) === "timeout") await inc.kill("SIGKILL");
  }
}

/**
 * Several components that stand for one ("redis" on a cluster, "app" with several instances): up when all are;
 * kill9 crashes one member, in turn; start starts whichever is down.
 */
class Group {
  constructor(name, members) {
    this.name = name;
    this.members = members;
    this.kills = 0;
    this.next = 0;
  }

  get up() { return this.members.every((m) => m.up); }

  get alive() { return this.members.every((m) => m.alive); }

  async start(options) {
    await Promise.all(this.members.map((m) => m.start(options)));
  }

  async kill9() {
    const member = this.members[this.next++ % this.members.length];
    if (!member.alive) return;
    this.kills += 1;
    await member.kill9();
  }

  async stop() {
    await Promise.all(this.members.map((m) => m.stop()));
  }
}

/**
 * The worker process of one host ("app" component): kill9 kills it alone; the host notices, logs it and starts a new one
 * by itself, which start() waits for. A host that gave up on its worker (the Functions host stops after its worker's
 * third exit within 30 minutes) is started again, as Azure's platform starts a stopped host.
 */
class Worker {
  constructor(host) {
    this.name = `${host.name}'s worker`;
    this.host = host;
    this.kills = 0;
    this.killedPid = null;
    this.timeline = [];
  }

  get pid() { return this.host.alive ? this.host.current.workerPid : null; }

  get up() { return this.host.up && this.pid !== null && this.pid !== this.killedPid; }

  get alive() { return this.up; }

  async kill9() {
    const pid = this.pid;
    if (pid === null) return;
    this.kills += 1;
    this.killedPid = pid;
    this.timeline.push({ what: "kill9", at: Date.now() });
    appendFileSync(this.host.logFile, `==== SIGKILL of the worker process ${pid} at ${new Date().toISOString()}\n`);
    try { process.kill(pid, "SIGKILL"); } catch { /* already gone */ }
  }

  async start({ readyTimeoutMs = 90_000 } = {}) {
    this.timeline.push({ what: "start", at: Date.now() });
    await waitFor(() => this.up || !this.host.alive, readyTimeoutMs, `${this.name} to be restarted by its host`, 100);
    if (!this.up) await this.host.start({ readyTimeoutMs });
    this.timeline.push({ what: "ready", at: Date.now() });
  }

  async stop() {}
}

/** redis-cli --cluster create over the nodes' ports (no replicas), then waits for every node to say cluster_state:ok. */
async function createCluster(ports) {
  await new Promise((resolve, reject) => execFile("redis-cli",
    ["--cluster", "create", ...ports.map((p) => `127.0.0.1:${p}`), "--cluster-replicas", "0", "--cluster-yes"],
    { timeout: 60_000 }, (err, stdout, stderr) => (err ? reject(new Error(`redis-cli --cluster create: ${err.message}\n${stdout}${stderr}`)) : resolve())));
  for (const port of ports) await waitFor(async () => clusterOk(port), 30_000, `cluster_state:ok on ${port}`, 100);
}

async function clusterOk(port) {
  return (await redisCommand(port, "CLUSTER INFO"))?.includes("cluster_state:ok") ?? false;
}

function baseEnv() {
  const env = { ...process.env, DOTNET_CLI_TELEMETRY_OPTOUT: "1", DOTNET_NOLOGO: "1" };
  delete env.ASPNETCORE_URLS;
  return env;
}

function entryCommand(file) {
  return /\.(mjs|cjs|js)$/.test(file) ? [process.execPath, [file]] : ["dotnet", [file]];
}

async function httpAnswers(url) {
  const res = await fetch(url, { signal: AbortSignal.timeout(2000) }).catch(() => null);
  return res;
}

// ---- the system ------------------------------------------------------------------------------

/**
 * Starts redis-server (AOF on, appendfsync always, its own temp dir), the emulator and the app on
 * fixed free loopback ports. Options: name (log folder), appEnv (extra app settings),
 * redisPersistence ("always" by default; "everysec" or "none" to see the checker catch lost writes),
 * cluster (a three-master Redis Cluster; default CHAOS_REDIS_CLUSTER=1), instances (app instances behind a
 * round-robin balancer; default CHAOS_INSTANCES or 1).
 */
export async function startChaosSystem(options = {}) {
  installExitHooks();
  for (const [what, file] of [["the Functions host", HOST_DLL], ["the app", path.join(APP_DIR, "functions.metadata")], ["emulator", EMULATOR_DLL]]) {
    if (!existsSync(file)) throw new Error(`${what} not built: ${file} is missing (dotnet build -c Release, or bash scripts/test.sh)`);
  }
  mkdirSync(LOG_ROOT, { recursive: true });
  const logDir = mkdtempSync(path.join(LOG_ROOT, `${options.name ?? "chaos"}-`));
  const redisDir = mkdtempSync(path.join(tmpdir(), "pushfunctions-chaos-redis-"));
  tempDirs.add(redisDir);
  const serverKey = randomBytes(24).toString("hex");
  const signingKey = randomBytes(32).toString("hex");
  const accessKey = randomBytes(32).toString("base64");
  // "always" (the point of the run: every acknowledged write survives kill -9); "everysec" or
  // "none" only to check that the checker notices lost writes.
  const persistence = options.redisPersistence ?? "always";
  if (!["always", "everysec", "none"].includes(persistence)) throw new Error(`redisPersistence: ${persistence}?`);
  const cluster = options.cluster ?? process.env.CHAOS_REDIS_CLUSTER === "1";
  const instances = options.instances ?? Number(process.env.CHAOS_INSTANCES ?? 1);
  const nodes = cluster ? 3 : 1;
  // A cluster node's bus port is chosen free too (and kept across restarts): by default it is its port + 10000,
  // which another process may hold.
  const busPorts = cluster ? nodes : 0;
  // Held (listened on) until just before what uses them first starts: nothing else can bind them meanwhile. A
  // component restarted after a kill binds its port again; in between, the port is free for anyone.
  const held = await Promise.all(Array.from({ length: 2 + nodes + (instances > 1 ? instances : 0) + busPorts }, () => holdPort()));
  const ports = held.map((h) => h.port);
  const release = (...used) => Promise.all(held.filter((h) => used.includes(h.port)).map((h) => h.release()));
  const [emulatorPort, appPort] = ports;
  const redisPorts = ports.slice(2, 2 + nodes);
  const instancePorts = instances > 1 ? ports.slice(2 + nodes, 2 + nodes + instances) : [appPort];
  const redisBusPorts = ports.slice(ports.length - busPorts);
  const redisPort = redisPorts[0];
  const apiUrl = `http://127.0.0.1:${appPort}`;
  const emulatorUrl = `http://127.0.0.1:${emulatorPort}`;
  const connectionString = `Endpoint=http://127.0.0.1;Port=${emulatorPort};AccessKey=${accessKey};Version=1.0;`;

  let clusterCreated = false;
  const redisNodes = redisPorts.map((port, i) => {
    const dir = cluster ? path.join(redisDir, `node-${i + 1}`) : redisDir;
    mkdirSync(dir, { recursive: true });
    return new Component(cluster ? `redis-${i + 1}` : "redis", logDir, () => ({
      command: "redis-server",
      args: [
        "--port", String(port), "--bind", "127.0.0.1", "--dir", dir,
        ...(persistence === "none" ? ["--appendonly", "no"] : ["--appendonly", "yes", "--appendfsync", persistence]), "--save", "",
        "--aof-use-rdb-preamble", "no", "--loglevel", "notice",
        // A restarted node finds its slots and peers again in nodes.conf (in its dir).
        ...(cluster ? ["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "5000",
          "--cluster-port", String(redisBusPorts[i])] : []),
      ],
      cwd: dir,
      env: baseEnv(),
    }), async () => (await redisCommand(port, "PING"))?.startsWith("+PONG") && (!clusterCreated || await clusterOk(port)));
  });
  const redis = cluster ? new Group("redis", redisNodes) : redisNodes[0];

  const [emuCmd, emuArgs] = entryCommand(EMULATOR_DLL);
  const emulator = new Component("emulator", logDir, () => ({
    command: emuCmd,
    // Its user-group memberships outlive a kill, as the service's do.
    args: [...emuArgs, "--port", String(emulatorPort), "--host", "127.0.0.1", "--access-key", accessKey,
      "--state-file", path.join(logDir, "emulator-memberships.json"),
      "--upstream", `${apiUrl}/api/signalr/{hub}/{category}/{event}`],
    cwd: path.dirname(EMULATOR_DLL),
    env: baseEnv(),
  }), (inc) => inc.lines.some((l) => l.includes("SignalREmulator listening on")));

  const [hostCmd, hostArgs] = entryCommand(HOST_DLL);
  const storageConnection = await storage();
  // One host id for the instances: they share their timers' locks, as one app's instances do.
  const hostId = `chaos-${randomBytes(6).toString("hex")}`;
  const appInstances = instancePorts.map((port, i) => new Component(instances > 1 ? `app-${i + 1}` : "app", logDir, () => ({
    command: hostCmd,
    args: [...hostArgs, "--app-dir", APP_DIR, "--urls", `http://127.0.0.1:${port}`],
    cwd: ROOT,
    env: {
      ...baseEnv(),
      AzureWebJobsStorage: storageConnection,
      AzureFunctionsWebHost__hostid: hostId,
      AzureSignalRConnectionString: connectionString,
      RedisConnectionString: redisPorts.map((p) => `127.0.0.1:${p}`).join(","),
      PushServerKeys: serverKey,
      SessionSigningKeys: signingKey,
      ...(options.appEnv ?? {}),
    },
  }), (inc) => inc.workerPid !== null && inc.lines.some((l) => l.includes("Host started:"))));
  const app = instances > 1 ? new Group("app", appInstances) : appInstances[0];
  const workers = appInstances.map((host) => new Worker(host));
  const worker = instances > 1 ? new Group("worker", workers) : workers[0];
  let proxy;
  // Listening is "up": /api/health may say 503 while Redis or the emulator is down, and a
  // freshly started app on a busy machine can take seconds to answer its first requests.

  const components = { redis, emulator, app, worker };
  let stopped = false;
  const stopAll = async () => {
    if (stopped) return;
    stopped = true;
    proxy?.close();
    await Promise.all(held.map((h) => h.release()));
    await Promise.all([app.stop(), emulator.stop()]);
    await redis.stop();
    rmSync(redisDir, { recursive: true, force: true });
    tempDirs.delete(redisDir);
  };

  try {
    await release(...redisPorts, ...redisBusPorts);
    await redis.start({ readyTimeoutMs: 20_000 });
    if (cluster) {
      await createCluster(redisPorts);
      clusterCreated = true;
    }
    if (instances > 1) {
      await release(appPort);
      proxy = await roundRobinProxy(appPort, instancePorts.map((p) => `http://127.0.0.1:${p}`));
    }
    await release(emulatorPort);
    await emulator.start({ readyTimeoutMs: 90_000 });
    await release(...instancePorts);
    await app.start({ readyTimeoutMs: 90_000 });
    await waitFor(async () => (await httpAnswers(`${apiUrl}/api/health`))?.status === 200, 30_000, "/api/health 200");
  } catch (err) {
    await stopAll().catch(() => {});
    err.message += `\n  logs: ${logDir}`;
    throw err;
  }

  const sys = {
    apiUrl,
    emulatorUrl,
    redisPort,
    redisPorts,
    cluster,
    instances,
    redisDir,
    serverKey,
    logDir,
    components,
    /** SIGKILL one component: "redis", "emulator", "app" (the host, its worker with it) or "worker" (the worker alone). */
    kill9: (which) => components[which].kill9(),
    /** Starts it again on the same port (same AOF dir / access key / settings). */
    restart: (which, opts) => components[which].start(opts),
    /**
     * Redis restarted WITHOUT its data, as after a restart without persistence or a failover to an empty
     * replica: SIGKILL, its data directory emptied, started again on the same port.
     */
    async restartRedisEmpty() {
      await redis.kill9();
      rmSync(redisDir, { recursive: true, force: true });
      mkdirSync(redisDir, { recursive: true });
      await redis.start();
    },
    /** Every component is up (started again if it is not). */
    async ensureAllUp() {
      await redis.start();
      await emulator.start();
      await app.start();
      await worker.start();
    },
    /** A server-key API call: {status, body, text}. */
    api(method, apiPath, { body, headers = {}, timeoutMs } = {}) {
      return http(method, `${apiUrl}${apiPath}`, { body, headers: { "x-functions-key": serverKey, ...headers }, timeoutMs });
    },
    /** POST /api/login → the session (throws unless 201). */
    async login(userId, device) {
      const res = await sys.api("POST", "/api/login", { body: { userId, userName: userId, device } });
      if (res.status !== 201) throw new Error(`login ${userId}/${device}: ${res.status} ${res.text}`);
      return res.body;
    },
    stop: stopAll,
  };
  return sys;
}

