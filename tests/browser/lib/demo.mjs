// Browser end-to-end harness: the e2e system (redis-server, SignalR emulator, PushFunctions, from
// tests/e2e/lib/system.mjs) plus the sample backend (samples/TodoBackend, which serves the demo
// page), all as processes on free loopback ports, and headless Chromium (Debian's chromium package,
// driven by playwright-core) to open the page.
//
//   let demo;
//   before(async () => { demo = await startDemo({ name: "todos" }); });
//   after(() => demo?.stop());
//   const alice = await demo.signIn(await demo.newContext(), "Alice");   // a page, signed in
//
// Needs the Release builds of the app, the emulator and the sample (scripts/test.sh builds them),
// tests/e2e's and samples/TodoBackend's npm packages, and /usr/bin/chromium (scripts/ensure-deps.sh).
// BROWSER_TEST_CHROMIUM overrides the browser binary; BROWSER_TEST_SAMPLE_DLL the sample's entry.
import { spawn } from "node:child_process";
import { createWriteStream, existsSync } from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { chromium } from "playwright-core";
import { ROOT, freePort, startSystem, waitFor } from "../../e2e/lib/system.mjs";

export { waitFor } from "../../e2e/lib/system.mjs";

const SAMPLE_DIR = path.join(ROOT, "samples/TodoBackend");
const SAMPLE_DLL = process.env.BROWSER_TEST_SAMPLE_DLL ?? path.join(SAMPLE_DIR, "bin/Release/net10.0/TodoBackend.dll");
const CHROMIUM = process.env.BROWSER_TEST_CHROMIUM ?? "/usr/bin/chromium";
const CHROMIUM_ARGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];

/** How long a UI expectation may take (pushes are milliseconds; the machine may be busy). */
export const UI_TIMEOUT = 15_000;

/**
 * Starts the system, the sample backend and Chromium. Options: `name` (log folder prefix).
 * The page's origin is the sample's, so PushFunctions gets it in CorsAllowedOrigins.
 */
export async function startDemo({ name = "browser" } = {}) {
  for (const [what, file] of [["sample backend", SAMPLE_DLL], ["chromium", CHROMIUM]]) {
    if (!existsSync(file)) throw new Error(`${what} missing: ${file} (run scripts/ensure-deps.sh and a Release build, or scripts/test.sh)`);
  }
  const samplePort = await freePort();
  const pageUrl = `http://127.0.0.1:${samplePort}`;
  const sys = await startSystem({ name, appEnv: { CorsAllowedOrigins: pageUrl } });
  let sample;
  let browser;
  const stop = async () => {
    await browser?.close().catch(() => {});
    await sample?.stop();
    await sys.stop();
  };
  try {
    sample = startProcess("sample", "dotnet", [SAMPLE_DLL, "--urls", pageUrl, "--contentRoot", SAMPLE_DIR], {
      cwd: SAMPLE_DIR,
      logFile: path.join(sys.logDir, "sample.log"),
      env: {
        ASPNETCORE_ENVIRONMENT: "Production",
        PushFunctions__BaseUrl: sys.apiUrl,
        PushFunctions__ServerKey: sys.serverKey,
      },
    });
    await waitFor(async () => {
      if (sample.exited) throw fatal(`the sample backend exited (${sample.exited}); log: ${sample.logFile}\n${sample.tail()}`);
      const res = await fetch(`${pageUrl}/healthz`, { signal: AbortSignal.timeout(3000) }).catch(() => null);
      return res?.status === 200;
    }, 60_000, `${pageUrl}/healthz`);

    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  } catch (err) {
    await stop().catch(() => {});
    throw err;
  }

  const demo = {
    sys,
    pageUrl,
    browser,
    sampleLogTail: (n) => sample.tail(n),
    /** A new browser profile (cookies, localStorage): one per "device". Tabs of it share localStorage. */
    async newContext() {
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      context.setDefaultTimeout(UI_TIMEOUT);
      return context;
    },
    /** Opens the page in a new tab of `context` and signs in as `name`; resolves once it is live. */
    async signIn(context, name) {
      const page = await context.newPage();
      collectErrors(page);
      await page.goto(pageUrl);
      await page.getByTestId("signin-name").fill(name);
      await page.getByTestId("signin-submit").click();
      await waitLive(page);
      return page;
    },
    stop,
  };
  return demo;
}

/** Waits until the page shows the app (not sign-in) with a live connection. */
export async function waitLive(page) {
  await page.locator('[data-testid="connection"][data-state="connected"]').waitFor({ timeout: UI_TIMEOUT });
}

/** The texts of the current list's todos, in order. */
export function todoTexts(page) {
  return page.getByTestId("todo-text-value").allTextContents();
}

/** The texts of the shown chat messages, in order. */
export function chatTexts(page) {
  return page.getByTestId("chat-text-value").allTextContents();
}

/** What the push client delivered to the page, as "stream#seq", in order. */
export function delivered(page) {
  return page.evaluate(() => window.tandem.delivered);
}

/** Polls `read()` until `check(value)` holds; on timeout the message shows the last value. */
export async function eventually(read, check, what, timeoutMs = UI_TIMEOUT) {
  let last;
  try {
    return await waitFor(async () => {
      last = await read();
      return check(last) ? last ?? true : null;
    }, timeoutMs, what, 50);
  } catch (err) {
    err.message += `\n  last value: ${JSON.stringify(last)}`;
    throw err;
  }
}

/** Console errors and uncaught exceptions of a page, so that a test can assert there were none. */
function collectErrors(page) {
  page.errors = [];
  page.on("pageerror", (err) => page.errors.push(`pageerror: ${err.message}`));
  page.on("console", (msg) => { if (msg.type() === "error") page.errors.push(`console: ${msg.text()}`); });
}

function fatal(message) {
  const err = new Error(message);
  err.fatal = true;
  return err;
}

// ---- the sample backend process ----

const running = new Set();
process.on("exit", () => { for (const p of running) p.kill("SIGKILL"); });

function startProcess(name, command, args, { cwd, env, logFile }) {
  const log = createWriteStream(logFile, { flags: "a" });
  const childEnv = { ...process.env, DOTNET_CLI_TELEMETRY_OPTOUT: "1", DOTNET_NOLOGO: "1", ...env };
  delete childEnv.ASPNETCORE_URLS;
  const proc = spawn(command, args, { cwd, env: childEnv, stdio: ["ignore", "pipe", "pipe"] });
  running.add(proc);
  const lines = [];
  const handle = {
    name,
    logFile,
    exited: null,
    tail: (n = 30) => lines.slice(-n).map((l) => `    | ${l}`).join("\n"),
    async stop() {
      if (handle.exited) return;
      proc.kill("SIGTERM");
      if ((await Promise.race([exited, sleep(5000).then(() => "timeout")])) === "timeout") {
        proc.kill("SIGKILL");
        await exited;
      }
    },
  };
  const onData = (chunk) => {
    log.write(chunk);
    for (const line of chunk.toString().split(/\r?\n/)) if (line) lines.push(line);
    if (lines.length > 1000) lines.splice(0, 500);
  };
  proc.stdout.on("data", onData);
  proc.stderr.on("data", onData);
  const exited = new Promise((resolve) => {
    proc.on("exit", (code, signal) => {
      handle.exited = signal ?? `code ${code}`;
      running.delete(proc);
      log.end();
      resolve();
    });
    proc.on("error", (err) => {
      handle.exited = `spawn error: ${err.message}`;
      running.delete(proc);
      resolve();
    });
  });
  return handle;
}
