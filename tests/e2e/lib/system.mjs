// End-to-end harness: starts a real redis-server, the SignalR emulator and PushFunctions as
// plain processes on free loopback ports with fresh keys, and gives tests what a main backend
// and a browser would use (HTTP API calls, @microsoft/signalr connections). PushFunctions runs as in
// Azure: the local Functions host (tools/FunctionsHost) starts the app's build output as its worker
// process; its timers keep their locks in Azurite (one per test process, or E2E_STORAGE's).
//
// One system per test file:
//   let sys;
//   before(async () => { sys = await startSystem(); });
//   after(() => sys?.stop());
//
// The Release build must exist (scripts/test.sh builds it; or `dotnet build -c Release`).
// E2E_HOST_DLL / E2E_EMULATOR_DLL override the two entry points (a .dll runs with dotnet,
// a .mjs/.js with node), e.g. to check the harness against stand-ins; E2E_APP_DIR the app's build
// output the host runs. E2E_STORAGE: the AzureWebJobsStorage connection string of a running Azurite
// (scripts/test.sh starts one for all files); without it each test process starts its own.
// E2E_AUTH=entra (or startSystem({auth: "entra"})) runs the Azure auth mode: the emulator refuses
// access keys, the app has AuthType=azure.msi and gets Entra tokens through Azure.Identity from the
// emulator's managed-identity endpoint, and upstream calls carry Entra bearer tokens.
import { execFile, execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, request as httpRequest } from "node:http";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { HubConnectionBuilder, HubConnectionState, LogLevel } from "@microsoft/signalr";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const HOST_DLL = process.env.E2E_HOST_DLL
  ?? path.join(ROOT, "tools/FunctionsHost/bin/Release/net10.0/FunctionsHost.dll");
/** The app's build output (the folder scripts/package.sh zips): what the host runs as its worker. */
export const APP_DIR = process.env.E2E_APP_DIR ?? path.join(ROOT, "src/PushFunctions/bin/Release/net10.0");
const EMULATOR_DLL = process.env.E2E_EMULATOR_DLL
  ?? path.join(ROOT, "tools/SignalREmulator/bin/Release/net10.0/SignalREmulator.dll");
const LOG_ROOT = path.join(ROOT, ".run/e2e-logs");
const REDIS_CLUSTER_SCRIPT = path.join(ROOT, "scripts/redis-cluster.sh");
const AZURITE_SCRIPT = path.join(ROOT, "scripts/azurite.sh");

/** The client events a connection records. */
export const CLIENT_EVENTS = ["message", "update_online_count", "redirect_to_login", "room_message"];

// ---- small utilities ---------------------------------------------------------------------

/** A unique id for a test's users and rooms: `${prefix}-<random>`. */
export function uid(prefix = "u") {
  return `${prefix}-${randomBytes(5).toString("hex")}`;
}

/** Runs `fn(i)` for i in 0..n-1 with at most `concurrency` in flight; results in index order. */
export async function pool(n, concurrency, fn) {
  const results = new Array(n);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, async () => {
    while (next < n) {
      const i = next++;
      results[i] = await fn(i);
    }
  }));
  return results;
}

/**
 * A free TCP port on 127.0.0.1 (the OS picks it), listened on until `release()`: a port 0 that another process (or
 * one of this system's) binds meanwhile cannot be this one. Release it just before starting what must listen on it.
 */
export async function holdPort() {
  const srv = net.createServer();
  srv.unref();
  await new Promise((resolve, reject) => srv.once("error", reject).listen(0, "127.0.0.1", resolve));
  let released;
  return {
    port: srv.address().port,
    release: () => (released ??= new Promise((resolve) => srv.close(() => resolve()))),
  };
}

/** A free TCP port on 127.0.0.1 (the OS picks it), released at once. */
export async function freePort() {
  const held = await holdPort();
  await held.release();
  return held.port;
}

/**
 * Polls `predicate` (sync or async) until it returns a truthy value, and returns that value.
 * Rejects after `timeoutMs` with `what` in the message (a function is called then, to say what
 * was seen instead). An error the predicate throws is
 * retried, except a failed assertion or an error marked `fatal`, which fails at once.
 */
export async function waitFor(predicate, timeoutMs = 10_000, what = "condition", intervalMs = 25) {
  const deadline = Date.now() + timeoutMs;
  let lastError;
  for (;;) {
    try {
      const value = await predicate();
      if (value) return value;
    } catch (err) {
      if (err?.fatal || err?.code === "ERR_ASSERTION") throw err;
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const why = lastError ? ` (last error: ${lastError.message})` : "";
      const desc = typeof what === "function" ? what() : what;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${desc}${why}`);
    }
    await sleep(intervalMs);
  }
}

/** One HTTP call. Returns {status, headers, body, text}; body is parsed JSON when it is JSON. */
export async function http(method, url, { body, headers = {}, timeoutMs = 30_000 } = {}) {
  const init = { method, headers: { ...headers }, signal: AbortSignal.timeout(timeoutMs) };
  if (body !== undefined) {
    init.headers["content-type"] ??= "application/json";
    init.body = typeof body === "string" ? body : JSON.stringify(body);
  }
  const res = await fetch(url, init);
  const text = await res.text();
  let parsed;
  try { parsed = text ? JSON.parse(text) : undefined; } catch { parsed = undefined; }
  return { status: res.status, headers: res.headers, body: parsed, text };
}

function pingRedis(port) {
  return new Promise((resolve) => {
    const sock = net.connect({ host: "127.0.0.1", port });
    let data = "";
    const done = (ok) => { sock.destroy(); resolve(ok); };
    sock.setTimeout(1000, () => done(false));
    sock.on("error", () => done(false));
    sock.on("connect", () => sock.write("PING\r\n"));
    sock.on("data", (d) => { data += d; if (data.includes("\r\n")) done(data.startsWith("+PONG")); });
  });
}

/**
 * One Redis command sent as RESP (any arguments, Lua included); resolves with the parsed reply (strings,
 * numbers, nested arrays, null), or rejects with a Redis error. For tests that change Redis behind the app's back.
 */
export function redisCall(port, ...args) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    let buffer = Buffer.alloc(0);
    socket.setTimeout(5000, () => { socket.destroy(); reject(new Error(`redis ${args[0]}: timed out`)); });
    socket.on("error", reject);
    socket.on("data", (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      const parsed = parseResp(buffer, 0);
      if (!parsed) return;
      socket.end();
      if (parsed.value instanceof Error) reject(parsed.value);
      else resolve(parsed.value);
    });
    socket.on("connect", () => socket.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(String(a))}\r\n${a}\r\n`).join("")}`));
  });
}

/**
 * What Redis leaves when it loses its newest writes (an append-only file synced once a second, a failover to a
 * replica that had not caught up), done to one stream in one step: its newest k entries deleted and its counter
 * set back by as many. Resolves with the ids of the messages lost.
 */
export async function loseNewestWrites(port, stream, k) {
  const script = `
    local stream_key, seq_key, k = KEYS[1], KEYS[2], tonumber(ARGV[1])
    local newest = redis.call('XREVRANGE', stream_key, '+', '-', 'COUNT', k)
    local lost = {}
    for _, entry in ipairs(newest) do
      redis.call('XDEL', stream_key, entry[1])
      table.insert(lost, entry[2][2])
    end
    local seq = redis.call('DECRBY', seq_key, #newest)
    redis.call('XSETID', stream_key, seq .. '-0')
    return lost`;
  return redisCall(port, "EVAL", script, 2, `pf:{${stream}}:s`, `pf:{${stream}}:seq`, k);
}

/** One RESP2 value at `at`: {value, end}, or null when the buffer does not hold all of it yet. */
function parseResp(buffer, at) {
  const lineEnd = buffer.indexOf("\r\n", at);
  if (lineEnd < 0) return null;
  const head = buffer.toString("utf8", at + 1, lineEnd);
  const next = lineEnd + 2;
  switch (String.fromCharCode(buffer[at])) {
    case "+": return { value: head, end: next };
    case "-": return { value: new Error(head), end: next };
    case ":": return { value: Number(head), end: next };
    case "$": {
      const length = Number(head);
      if (length < 0) return { value: null, end: next };
      if (buffer.length < next + length + 2) return null;
      return { value: buffer.toString("utf8", next, next + length), end: next + length + 2 };
    }
    case "*": {
      const count = Number(head);
      if (count < 0) return { value: null, end: next };
      const items = [];
      let end = next;
      for (let i = 0; i < count; i += 1) {
        const item = parseResp(buffer, end);
        if (!item) return null;
        items.push(item.value);
        end = item.end;
      }
      return { value: items, end };
    }
    default: return { value: new Error(`unexpected RESP: ${head}`), end: next };
  }
}

/** Sends one inline command to redis; resolves with the first reply line or null. */
function redisCommand(port, command) {
  return new Promise((resolve) => {
    const sock = net.connect({ host: "127.0.0.1", port });
    let data = "";
    const done = (v) => { sock.destroy(); resolve(v); };
    sock.setTimeout(5000, () => done(null));
    sock.on("error", () => done(null));
    sock.on("close", () => done(data || null));
    sock.on("connect", () => sock.write(`${command}\r\n`));
    sock.on("data", (d) => { data += d; });
  });
}

// ---- child processes -----------------------------------------------------------------------

const running = new Set();
let exitHooksInstalled = false;
function installExitHooks() {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  // Never leave servers behind, whatever ends this process.
  process.on("exit", () => { for (const p of running) p.kill("SIGKILL"); });
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) {
    process.once(sig, () => {
      for (const p of running) p.kill("SIGKILL");
      process.exit(128 + (sig === "SIGINT" ? 2 : sig === "SIGTERM" ? 15 : 1));
    });
  }
}

class Child {
  /** `background`: the process does not keep this one alive (it is killed when this one exits). */
  constructor(name, command, args, { cwd, env, logFile, background = false }) {
    this.name = name;
    this.logFile = logFile;
    this.lines = [];
    this.exited = null;
    const log = createWriteStream(logFile, { flags: "a" });
    this.proc = spawn(command, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    running.add(this);
    const onData = (chunk) => {
      log.write(chunk);
      const text = chunk.toString();
      for (const line of text.split(/\r?\n/)) if (line) this.lines.push(line);
      if (this.lines.length > 2000) this.lines.splice(0, this.lines.length - 1000);
    };
    this.proc.stdout.on("data", onData);
    this.proc.stderr.on("data", onData);
    if (background) {
      this.proc.unref();
      this.proc.stdout.unref();
      this.proc.stderr.unref();
    }
    this.exitPromise = new Promise((resolve) => {
      this.proc.on("exit", (code, signal) => {
        this.exited = { code, signal };
        running.delete(this);
        resolve(this.exited);
      });
      this.proc.on("error", (err) => {
        this.lines.push(`spawn error: ${err.message}`);
        this.exited = { code: -1, signal: null };
        running.delete(this);
        resolve(this.exited);
      });
    });
    this.exitPromise.then(() => log.end());
  }

  get alive() { return this.exited === null; }

  kill(signal = "SIGTERM") {
    if (this.alive) { try { this.proc.kill(signal); } catch { /* already gone */ } }
  }

  async stop(timeoutMs = 5000) {
    if (!this.alive) return;
    this.kill("SIGTERM");
    const timer = sleep(timeoutMs).then(() => "timeout");
    if ((await Promise.race([this.exitPromise, timer])) === "timeout") {
      this.kill("SIGKILL");
      await this.exitPromise;
    }
  }

  tail(n = 40) {
    return this.lines.slice(-n).map((l) => `    | ${l}`).join("\n");
  }

  /** Waits for a line matching `regex` (returns the match); fails if the process exits first. */
  async waitForLine(regex, timeoutMs, what) {
    return waitFor(() => {
      const hit = this.lines.map((l) => l.match(regex)).find(Boolean);
      if (hit) return hit;
      if (!this.alive) throw this.died(what);
      return null;
    }, timeoutMs, `${this.name}: ${what}`).catch((err) => { throw this.describe(err); });
  }

  died(what) {
    const err = new Error(`${this.name} exited (${JSON.stringify(this.exited)}) before ${what}`);
    err.fatal = true;
    return err;
  }

  describe(err) {
    if (err.message.includes(this.logFile)) return err;
    err.message += `\n  ${this.name} log: ${this.logFile}\n${this.tail()}`;
    return err;
  }
}

function entryCommand(file) {
  return /\.(mjs|cjs|js)$/.test(file) ? [process.execPath, [file]] : ["dotnet", [file]];
}

function baseEnv() {
  const env = { ...process.env, DOTNET_CLI_TELEMETRY_OPTOUT: "1", DOTNET_NOLOGO: "1" };
  // The app must listen where we tell it, not where an outer environment says.
  delete env.ASPNETCORE_URLS;
  return env;
}

// ---- a Redis Cluster ---------------------------------------------------------------------------

const clusterDirs = new Set();
process.on("exit", () => {
  for (const dir of clusterDirs) {
    try { execFileSync("bash", [REDIS_CLUSTER_SCRIPT, "stop", dir], { stdio: "ignore" }); } catch { /* best effort */ }
  }
});

/**
 * A three-master Redis Cluster on loopback, started by scripts/redis-cluster.sh in `dir` (its watchdog stops it if
 * this process dies). Returns {connectionString, stop()}; connectionString lists every node, as the app expects.
 */
export async function startRedisCluster(dir) {
  const connectionString = await new Promise((resolve, reject) => {
    execFile("bash", [REDIS_CLUSTER_SCRIPT, "start", dir, String(process.pid)], { timeout: 90_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`starting the Redis Cluster: ${err.message}\n${stderr}`));
      else resolve(stdout.trim().split("\n").at(-1));
    });
  });
  clusterDirs.add(dir);
  return {
    connectionString,
    ports: connectionString.split(",").map((endpoint) => Number(endpoint.split(":")[1])),
    async stop() {
      await new Promise((resolve) => execFile("bash", [REDIS_CLUSTER_SCRIPT, "stop", dir], () => resolve()));
      clusterDirs.delete(dir);
    },
  };
}

// ---- Azurite: the Functions host's storage ----------------------------------------------------

let azurite;
/**
 * The AzureWebJobsStorage connection string the hosts use for their timers' locks: E2E_STORAGE's, else an Azurite
 * started once for this test process by scripts/azurite.sh (in memory, stopped when the process ends). Each system
 * has its own host id, so systems sharing one Azurite never share a lock.
 */
export async function storage() {
  if (process.env.E2E_STORAGE) return process.env.E2E_STORAGE;
  azurite ??= (async () => {
    installExitHooks();
    mkdirSync(LOG_ROOT, { recursive: true });
    const child = new Child("azurite", "bash", [AZURITE_SCRIPT, String(await freePort()), "memory"],
      { cwd: ROOT, env: baseEnv(), logFile: path.join(LOG_ROOT, `azurite-${process.pid}.log`), background: true });
    const [, connection] = await child.waitForLine(/^AzureWebJobsStorage: (\S+)/, 30_000, "its connection string");
    await child.waitForLine(/successfully listens on/, 60_000, "listening");
    return connection;
  })();
  return azurite;
}

/** The suite-wide defaults of startSystem's `cluster` and `instances`: scripts/test.sh's second e2e run sets them. */
const DEFAULT_CLUSTER = process.env.E2E_REDIS_CLUSTER === "1";
const DEFAULT_INSTANCES = Number(process.env.E2E_INSTANCES ?? 1);

// ---- the system ------------------------------------------------------------------------------

/**
 * A load balancer in front of several app instances, as Azure's front end is: each request goes to the
 * next instance in turn, so consecutive calls of one client (and the upstream events of one connection)
 * land on different instances.
 */
export async function roundRobinProxy(port, targets) {
  let next = 0;
  const server = createServer((req, res) => {
    const target = new URL(targets[next++ % targets.length]);
    const upstream = httpRequest({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => { res.writeHead(answer.statusCode, answer.headers); answer.pipe(res); });
    upstream.on("error", () => { if (!res.headersSent) res.writeHead(502); res.end(); });
    req.pipe(upstream);
  });
  server.keepAliveTimeout = 1000;
  await new Promise((resolve, reject) => server.once("error", reject).listen(port, "127.0.0.1", resolve));
  return { port: server.address().port, close: () => { server.closeAllConnections(); server.close(); } };
}

/**
 * What an auth mode adds to the emulator's arguments and the app's settings. "entra" is what
 * infra/main.bicep deploys: local auth disabled, AuthType=azure.msi, upstream ManagedIdentity auth.
 */
function authMode(mode, authType = "azure.msi") {
  if (mode === "key") {
    return { mode, emulatorArgs: [], appEnv: {}, connectionString: async (_, keyed) => keyed };
  }
  if (mode !== "entra") throw new Error(`unknown auth mode '${mode}' (E2E_AUTH=key|entra)`);
  const identityHeader = randomBytes(16).toString("hex");
  const upstreamAudience = "api://pushfunctions-e2e";
  const appClientId = "a99c11e0-0000-4000-8000-0000000e2e01";
  const result = {
    mode,
    emulatorArgs: ["--disable-local-auth", "--identity-header", identityHeader, "--upstream-auth-resource", upstreamAudience],
    appEnv: {},
    /** The Azure connection string (no key), once the emulator said where its Entra stand-in is. */
    async connectionString(emulator, keyed) {
      const [, tenant, authorityHost, identityEndpoint, serviceClientId] = await emulator.waitForLine(
        /^Entra: tenant=(\S+) authorityHost=(\S+) identityEndpoint=(\S+) serviceClientId=(\S+)/, 5_000, "its Entra line");
      Object.assign(result.appEnv, {
        IDENTITY_ENDPOINT: identityEndpoint,
        IDENTITY_HEADER: identityHeader,
        SignalRUpstreamAuthority: authorityHost,
        SignalRUpstreamAudience: upstreamAudience,
        SignalRUpstreamTenantId: tenant,
        SignalRUpstreamClientId: serviceClientId,
      });
      return keyed.replace(/AccessKey=[^;]*;/, `AuthType=${authType};ClientId=${appClientId};`);
    },
  };
  return result;
}

/**
 * Starts redis-server, the SignalR emulator and the app. Options:
 *   name        used in log folder names (default: "system")
 *   appEnv      extra environment variables (settings) for the app
 *   emulatorArgs extra command-line arguments for the emulator
 *   hub         SignalR hub name (default: the app's default, "push")
 *   instances   app instances (default 1, or E2E_INSTANCES); with more, every request (the main backend's,
 *               browsers' and SignalR Service's upstream events) goes to them in turn through a round-robin proxy
 *   cluster     true: a three-master Redis Cluster instead of one redis-server (default: E2E_REDIS_CLUSTER=1);
 *               stopRedis/startRedis are then not available
 *   auth        "key" (access key) or "entra" (Microsoft Entra); default: E2E_AUTH, else "key"
 *   authType    with auth "entra": the connection string's AuthType, "azure.msi" (default) or "azure"
 * Returns the system (see the object literal at the end).
 */
export async function startSystem(options = {}) {
  installExitHooks();
  for (const [what, file] of [["the Functions host", HOST_DLL], ["the app", path.join(APP_DIR, "functions.metadata")], ["emulator", EMULATOR_DLL]]) {
    if (!existsSync(file)) {
      throw new Error(`${what} not built: ${file} is missing (run: dotnet build -c Release, or bash scripts/test.sh)`);
    }
  }
  const name = options.name ?? "system";
  mkdirSync(LOG_ROOT, { recursive: true });
  const logDir = mkdtempSync(path.join(LOG_ROOT, `${name}-`));
  const redisDir = mkdtempSync(path.join(tmpdir(), "pushfunctions-e2e-redis-"));
  const serverKey = randomBytes(24).toString("hex");
  const signingKey = randomBytes(32).toString("hex");
  const accessKey = randomBytes(32).toString("base64");
  const entra = authMode(options.auth ?? process.env.E2E_AUTH ?? "key", options.authType);
  const children = [];
  const connections = new Set();

  const cluster = (options.cluster ?? DEFAULT_CLUSTER) ? await startRedisCluster(path.join(redisDir, "cluster")) : null;
  const redisPort = cluster ? cluster.ports[0] : await freePort();
  let redis;
  async function startRedis() {
    if (cluster) throw new Error("startRedis: not with cluster: true");
    if (redis?.alive) return;
    redis = new Child("redis-server", "redis-server", [
      "--port", String(redisPort), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
      "--dir", redisDir, "--loglevel", "warning",
    ], { cwd: redisDir, env: baseEnv(), logFile: path.join(logDir, "redis.log") });
    children.push(redis);
    await waitFor(async () => {
      if (!redis.alive) throw redis.died("answering PING");
      return pingRedis(redisPort);
    }, 20_000, `redis-server on port ${redisPort}`).catch((e) => { throw redis.describe(e); });
  }
  /** Stops redis-server; with `persist` (default) its data is saved and reloaded by startRedis(). */
  async function stopRedis({ persist = true } = {}) {
    if (cluster) throw new Error("stopRedis: not with cluster: true");
    if (!redis?.alive) return;
    await redisCommand(redisPort, persist ? "SHUTDOWN SAVE" : "SHUTDOWN NOSAVE");
    await Promise.race([redis.exitPromise, sleep(10_000)]);
    await redis.stop();
  }

  let emulator;
  let app;
  const apps = [];
  let proxy;
  let heldPorts = [];
  const stopAll = async () => {
    for (const c of connections) await c.stop().catch(() => {});
    connections.clear();
    proxy?.close();
    await Promise.all(heldPorts.map((held) => held.release()));
    await Promise.all([...apps, emulator].filter(Boolean).map((c) => c.stop()));
    if (redis) await redis.stop();
    await cluster?.stop();
    rmSync(redisDir, { recursive: true, force: true });
  };

  try {
    if (!cluster) await startRedis();

    // The instances' ports are held until each host starts; with more than one, the proxy listens from now on.
    const instances = options.instances ?? DEFAULT_INSTANCES;
    heldPorts = await Promise.all(Array.from({ length: instances }, () => holdPort()));
    const appUrls = heldPorts.map((held) => `http://127.0.0.1:${held.port}`);
    if (instances > 1) proxy = await roundRobinProxy(0, appUrls);
    const apiBase = instances === 1 ? appUrls[0] : `http://127.0.0.1:${proxy.port}`;
    const [emuCmd, emuArgs] = entryCommand(EMULATOR_DLL);
    emulator = new Child("emulator", emuCmd, [
      ...emuArgs, "--port", "0", "--host", "127.0.0.1", "--access-key", accessKey,
      "--upstream", `${apiBase}/api/signalr/{hub}/{category}/{event}`, ...entra.emulatorArgs, ...(options.emulatorArgs ?? []),
    ], { cwd: path.dirname(EMULATOR_DLL), env: baseEnv(), logFile: path.join(logDir, "emulator.log") });
    children.push(emulator);
    const [, keyConnectionString] = await emulator.waitForLine(/^ConnectionString: (.+?)\s*$/, 60_000, "its ConnectionString line");
    const connectionString = await entra.connectionString(emulator, keyConnectionString);
    const listening = await emulator.waitForLine(/SignalREmulator listening on (http\S+)/, 5_000, "its listening line");
    const emulatorUrl = listening[1].replace(/\/$/, "");

    const [hostCmd, hostArgs] = entryCommand(HOST_DLL);
    // One host id for the system's instances (they share their timers' locks, as one app's instances do).
    const hostId = `e2e-${randomBytes(6).toString("hex")}`;
    const storageConnection = await storage();
    for (let i = 0; i < instances; i++) {
      await heldPorts[i].release();
      app = new Child("app", hostCmd, [...hostArgs, "--app-dir", APP_DIR, "--urls", appUrls[i]], {
        cwd: ROOT,
        env: {
          ...baseEnv(),
          AzureWebJobsStorage: storageConnection,
          AzureFunctionsWebHost__hostid: hostId,
          AzureSignalRConnectionString: connectionString,
          RedisConnectionString: cluster?.connectionString ?? `127.0.0.1:${redisPort}`,
          PushServerKeys: serverKey,
          SessionSigningKeys: signingKey,
          CorsAllowedOrigins: "http://127.0.0.1:5173",
          ...(options.hub ? { SignalRHubName: options.hub } : {}),
          ...entra.appEnv,
          ...(options.appEnv ?? {}),
        },
        logFile: path.join(logDir, instances === 1 ? "app.log" : `app-${i + 1}.log`),
      });
      children.push(app);
      apps.push(app);
    }
    for (const [i, instance] of apps.entries()) {
      // Its own line first: another process that took the port in the moment between its release and the host's
      // start would answer the health check too (a worker's listener does), and the host would fail to start.
      await instance.waitForLine(/Host started: .* listening on /, 90_000, "its 'Host started' line");
      await waitFor(async () => {
        if (!instance.alive) throw instance.died("/api/health answered 200");
        const res = await fetch(`${appUrls[i]}/api/health`, { signal: AbortSignal.timeout(3000) }).catch(() => null);
        return res?.status === 200;
      }, 90_000, `${appUrls[i]}/api/health to answer 200`).catch((e) => { throw instance.describe(e); });
    }

    const sys = {
      auth: entra.mode,
      apiUrl: apiBase,
      instances,
      /** The emulator's access key: what signs upstream events (tests forge replays with it). */
      accessKey,
      cluster: Boolean(cluster),
      serverKey,
      emulatorUrl,
      redisPort,
      logDir,
      stopRedis,
      startRedis,
      /** PUT /_emulator/faults, e.g. {restStatus: 503} or {dropUpstream: [{event: "disconnected"}]} */
      async setEmulatorFaults(faults) {
        const res = await http("PUT", `${emulatorUrl}/_emulator/faults`, { body: faults });
        if (res.status >= 300) throw new Error(`setting emulator faults: ${res.status} ${res.text}`);
      },
      async clearEmulatorFaults() {
        const res = await http("DELETE", `${emulatorUrl}/_emulator/faults`);
        if (res.status >= 300) throw new Error(`clearing emulator faults: ${res.status} ${res.text}`);
      },
      async emulatorStats() {
        return (await http("GET", `${emulatorUrl}/_emulator/stats`)).body;
      },
      /**
       * Upstream events the app has answered (or that failed): a number to wait on. The app answers a `connected`
       * event once everything it does for the new connection (presence, its online push, its room groups) is done.
       */
      async upstreamEventsAnswered() {
        const { upstream } = await sys.emulatorStats();
        return upstream.sent + upstream.failed;
      },
      /**
       * Waits until the emulator has taken no REST call for `quietMs`: what the app still does for earlier events
       * (an upstream event the emulator stopped waiting for, a coalesced online push at its window's end) is over.
       */
      async restQuiet(quietMs = 1_500, timeoutMs = 20_000) {
        let last = (await sys.emulatorStats()).restCalls;
        let since = Date.now();
        await waitFor(async () => {
          const now = (await sys.emulatorStats()).restCalls;
          if (now !== last) { last = now; since = Date.now(); }
          return Date.now() - since >= quietMs;
        }, timeoutMs, `${quietMs} ms without a REST call from the app`, 100);
      },
      /** Last lines of a process's output: "app" (the host, its worker's log in it), "emulator" or "redis-server". */
      logTail(which = "app", n = 40) {
        return children.filter((c) => c.name === which).at(-1)?.tail(n) ?? "";
      },
      /** Each app instance's host: its recent log lines (`lines`), `alive`, and `kill(signal)`. */
      hosts: apps,

      // -- the main backend's side (server key) --
      /** Any API call. `path` starts with /api. auth: "server" (default), a session, or null. */
      api(method, apiPath, { body, headers = {}, auth = "server", timeoutMs } = {}) {
        const h = { ...headers };
        if (auth === "server") h["x-functions-key"] = serverKey;
        else if (auth && auth.sessionToken) h.authorization = `Bearer ${auth.sessionToken}`;
        return http(method, `${apiBase}${apiPath}`, { body, headers: h, timeoutMs });
      },
      /** POST /api/login → the session {sessionId, sessionToken, userId, expiresAt} (throws unless 201). */
      async login(userId, userName = userId, device = undefined) {
        const res = await sys.api("POST", "/api/login", { body: { userId, userName, ...(device ? { device } : {}) } });
        if (res.status !== 201) throw new Error(`login ${userId}: ${res.status} ${res.text}`);
        return res.body;
      },
      /** POST /api/users/{userId}/messages → the raw response ({status, headers, body}). */
      sendToUser(userId, payload, headers = {}) {
        return sys.api("POST", `/api/users/${encodeURIComponent(userId)}/messages`, { body: { payload }, headers });
      },
      /** POST /api/broadcast → the raw response. */
      broadcast(payload, headers = {}) {
        return sys.api("POST", "/api/broadcast", { body: { payload }, headers });
      },

      // -- the browser's side (session token) --
      /** POST /api/sync with the session's token → the raw response (body: {streams}). */
      sync(session, cursors = {}) {
        return sys.api("POST", "/api/sync", { body: { cursors }, auth: session });
      },
      /** A started SignalR connection for the session, recording every client event it receives. */
      async connect(session, { logLevel = LogLevel.Warning } = {}) {
        const conn = await connectClient(apiBase, session, logLevel);
        connections.add(conn);
        conn.onStopped = () => connections.delete(conn);
        return conn;
      },

      async stop() {
        await stopAll();
      },
    };
    return sys;
  } catch (err) {
    await stopAll().catch(() => {});
    err.message += `\n  logs: ${logDir}`;
    throw err;
  }
}

// ---- SignalR client ----------------------------------------------------------------------------

/**
 * Builds and starts a HubConnection to `${apiUrl}/api` (the client POSTs /api/negotiate and
 * follows the {url, accessToken} redirect to the SignalR Service). The returned object records
 * what arrives:
 *   received.message / .update_online_count / .redirect_to_login / .room_message: arrays of payloads
 *   events: [{target, arg, at}] in arrival order
 *   closed: null, or {error} once the connection closed
 */
export async function connectClient(apiUrl, session, logLevel = LogLevel.Warning) {
  const connection = new HubConnectionBuilder()
    .withUrl(`${apiUrl}/api`, { accessTokenFactory: () => session.sessionToken })
    .configureLogging(logLevel)
    .build();
  const conn = {
    connection,
    session,
    userId: session.userId,
    received: Object.fromEntries(CLIENT_EVENTS.map((e) => [e, []])),
    events: [],
    closed: null,
    onStopped: null,
    get connected() { return connection.state === HubConnectionState.Connected; },
    get connectionId() { return connection.connectionId; },
    /** Payloads of `message` events, optionally only those of one stream. */
    messages(stream) {
      return stream ? conn.received.message.filter((m) => m?.stream === stream) : conn.received.message;
    },
    async stop() {
      await connection.stop();
      conn.onStopped?.();
    },
  };
  for (const target of CLIENT_EVENTS) {
    connection.on(target, (arg) => {
      conn.received[target].push(arg);
      conn.events.push({ target, arg, at: Date.now() });
    });
  }
  connection.onclose((error) => { conn.closed = { error: error ?? null }; });
  await connection.start();
  return conn;
}

/** The messages of one stream in a sync response body (an empty array when the stream is absent). */
export function syncedMessages(syncBody, stream) {
  return syncBody?.streams?.[stream]?.messages ?? [];
}

/** True when an `update_online_count` user_list mentions the user (entries may be ids, names or objects). */
export function userListHas(userList, userId) {
  return (userList ?? []).some((u) => u === userId
    || (u && typeof u === "object" && (u.userId === userId || u.id === userId || u.user_id === userId)));
}

export { LogLevel };
