// A bounded run in which Redis LOSES data, which the kill -9 run (appendfsync always) never
// shows. K users with 2 devices each (PushClient, in-memory storage) stay connected while a backend
// sends private messages and broadcasts at a steady rate, and two faults happen:
//   1. partial loss: on a few streams, the newest K entries deleted and the counter set back by K (what an
//      append-only file synced once a second, or a failover to a replica that had not caught up, leaves);
//   2. Redis restarted WITHOUT persistence: everything is gone, sessions too. Devices are sent to login
//      (401 on their next sync or negotiate) and sign in again, as the app would.
// The checker (lib/checker.mjs, checkDataLoss) then proves: every message accepted after a device's session
// began is delivered once and in order on every device that stays signed in, and every message lost with
// Redis's data is delivered or reported (recovery-lost, or the session ending), never silently missing.
// Rooms are left out: their membership is the main backend's data, lost with Redis too, and re-adding it is
// the backend's business, not this run's.
//
// Knobs: CHAOS_SEED, DATA_LOSS_DURATION_MS (default 40000), DATA_LOSS_USERS (4), CHAOS_RATE (sends/s, 20).
// Logs: .run/chaos-logs/data-loss-*/
import assert from "node:assert/strict";
import { appendFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import * as signalR from "@microsoft/signalr";
import { PushClient, cursorStorageKey } from "../../../client/src/pushclient.js";
import { loseNewestWrites } from "../../e2e/lib/system.mjs";
import { checkDataLoss } from "../lib/checker.mjs";
import { http, startChaosSystem, waitFor } from "../lib/harness.mjs";
import { MemoryStorage, prng, startSending, withTimeout } from "../lib/runkit.mjs";

const SEED = Number(process.env.CHAOS_SEED ?? Date.now() % 1_000_000);
const DURATION_MS = Number(process.env.DATA_LOSS_DURATION_MS ?? 40_000);
const USERS = Number(process.env.DATA_LOSS_USERS ?? 4);
const RATE = Number(process.env.CHAOS_RATE ?? 20);
const LOST_PER_STREAM = 3;
const HARD_CAP_MS = 150_000;

const hardCap = setTimeout(() => {
  console.error(`data-loss: hard cap of ${HARD_CAP_MS} ms reached; exiting (servers are killed on exit)`);
  process.exit(1);
}, HARD_CAP_MS);
hardCap.unref();

const rand = prng(SEED);
const pick = (items) => items[Math.floor(rand() * items.length)];

/**
 * A browser tab: one storage, and a life per session. When its session ends (redirect-to-login) it signs in
 * again through the backend and starts a new life with a new PushClient on the same storage.
 */
class Device {
  constructor({ sys, userId, name, clientLog }) {
    Object.assign(this, { sys, userId, clientLog });
    this.id = `${userId}/${name}`;
    this.name = name;
    this.streams = [`user:${userId}`, "broadcast"];
    this.storage = new MemoryStorage();
    this.lives = [];
    this.signingIn = null;
    this.running = true;
  }

  get life() { return this.lives.at(-1); }

  /** Signs in (retrying while the backend or Redis is down) and starts a new life; resolves once it synced. */
  async begin() {
    let session;
    for (let attempt = 0; !session; attempt += 1) {
      try {
        session = await this.sys.login(this.userId, this.name);
      } catch (error) {
        if (attempt > 100) throw error;
        await sleep(300);
      }
    }
    const life = {
      id: `${this.id}#${this.lives.length + 1}`, userId: this.userId, streams: this.streams, session,
      startedAt: null, endedAt: null, endReason: null, startCursors: {}, events: [], at: {}, ord: 0,
    };
    this.lives.push(life);
    const log = (level) => (...args) => {
      const text = args.map((a) => (a instanceof Error ? `${a.name}: ${a.message}` : String(a))).join(" ");
      appendFileSync(this.clientLog, `${new Date().toISOString()} ${level} ${life.id} ${text}\n`);
    };
    const client = new PushClient({
      baseUrl: this.sys.apiUrl, userId: this.userId, sessionToken: session.sessionToken, signalR, storage: this.storage,
      logger: { debug() {}, warn: log("warn"), error: log("error") },
      retryDelay: (attempt) => Math.min(2000, 200 * 2 ** attempt) * (0.5 + Math.random() / 2),
    });
    life.client = client;
    const event = (e) => {
      life.ord += 1;
      life.events.push({ ord: life.ord, ...e });
      life.at[life.ord] = Date.now();
    };
    client.on("message", (m) => event({ type: "message", stream: m.stream, seq: m.seq, epoch: m.epoch, cid: m.payload?.cid }));
    client.on("recovery-lost", ({ stream }) => {
      event({ type: "recovery-lost", stream });
      log("warn")(`recovery-lost ${stream}`);
    });
    client.on("redirect-to-login", ({ reason }) => {
      life.endedAt = Date.now();
      life.endReason = reason;
      log("warn")(`redirect-to-login ${reason}`);
      if (this.running) this.signingIn = this.begin();
    });
    await client.start();
    life.startedAt = Date.now();
    life.startCursors = this.cursors();
    return life;
  }

  /** The stored {seq, epoch} per stream. */
  cursors() {
    const stored = this.storage.getItem(cursorStorageKey(this.userId));
    return Object.fromEntries(Object.entries(stored ? JSON.parse(stored) : {}).map(([s, c]) => [s, { seq: c.seq, epoch: c.epoch }]));
  }

  caughtUpWith(latest) {
    const cursors = this.cursors();
    return this.life.endedAt === null && this.life.startedAt !== null
      && this.streams.every((s) => cursors[s]?.epoch === latest[s]?.epoch && cursors[s]?.seq >= latest[s]?.seq);
  }
}

describe("data loss: Redis loses its newest writes, then restarts empty, while clients are connected", () => {
  let sys;
  const devices = [];

  before(async () => {
    sys = await startChaosSystem({ name: "data-loss" });
  });
  after(async () => {
    for (const d of devices) d.running = false;
    await Promise.all(devices.flatMap((d) => d.lives.map((l) => l.client?.stop().catch(() => {}))));
    await sys?.stop();
  });

  it("delivers what is accepted after each fault once, in order, and reports what Redis lost", { timeout: HARD_CAP_MS - 20_000 }, async () => {
    const runStart = Date.now();
    const rel = (t) => ((t - runStart) / 1000).toFixed(1);
    const clientLog = path.join(sys.logDir, "clients.log");
    console.log(`data-loss: seed ${SEED}, ${USERS} users x 2 devices, ${RATE} sends/s for ${DURATION_MS} ms; logs: ${sys.logDir}`);

    const tag = Math.random().toString(36).slice(2, 7);
    const users = Array.from({ length: USERS }, (_, i) => `loss-${tag}-u${i}`);
    for (const userId of users) {
      for (const name of ["laptop", "phone"]) devices.push(new Device({ sys, userId, name, clientLog }));
    }
    await withTimeout(Promise.all(devices.map((d) => d.begin())), 30_000, "every device to sign in and sync");

    // ---- sends ----
    const audience = (s) => (s.kind === "private" ? [s.target] : users);
    const { sends, stop: stopSending } = startSending(sys, RATE, () => {
      const kind = rand() < 0.6 ? "private" : "broadcast";
      return { kind, target: kind === "private" ? pick(users) : null };
    });

    // ---- faults ----
    const faults = [];
    await sleep(DURATION_MS * 0.3);
    const rewound = ["broadcast", `user:${users[0]}`, `user:${pick(users.slice(1))}`];
    const lostIds = new Set();
    const partialAt = Date.now();
    for (const stream of rewound) {
      for (const id of await loseNewestWrites(sys.redisPort, stream, LOST_PER_STREAM)) lostIds.add(id);
    }
    faults.push({ what: `partial loss: newest ${LOST_PER_STREAM} entries and counter -${LOST_PER_STREAM} on ${rewound.join(", ")}`, at: partialAt, lost: lostIds.size });

    await sleep(DURATION_MS * 0.35);
    const wipeAt = Date.now();
    await sys.restartRedisEmpty();
    const wipeReadyAt = Date.now();
    faults.push({ what: "Redis restarted without persistence (kill -9, data directory emptied)", at: wipeAt, readyAt: wipeReadyAt });

    await sleep(DURATION_MS * 0.35);
    const sendingEnd = await stopSending();
    for (const s of sends) {
      if (s.status !== 202) continue;
      if (lostIds.has(s.id)) s.lost = "partial";
      else if (s.t1 <= wipeAt) s.lost = "wipe";
    }
    console.log(`data-loss: sending over at t=${rel(sendingEnd)}s; faults:`);
    for (const f of faults) console.log(`  t=${rel(f.at)}s ${f.what}${f.lost !== undefined ? ` (${f.lost} messages lost)` : ""}${f.readyAt ? `, ready t=${rel(f.readyAt)}s` : ""}`);

    // ---- catch up: every device syncs; a dead session signs in again ----
    await waitFor(async () => (await http("GET", `${sys.apiUrl}/api/health`, { timeoutMs: 3000 })).status === 200, 20_000, "/api/health 200");
    const latestSeqs = async () => {
      const latest = {};
      for (const userId of users) {
        const cursors = { [`user:${userId}`]: Number.MAX_SAFE_INTEGER, broadcast: Number.MAX_SAFE_INTEGER };
        const session = await sys.login(userId, "observer");
        const res = await http("POST", `${sys.apiUrl}/api/sync`, { body: { cursors }, headers: { authorization: `Bearer ${session.sessionToken}` } });
        assert.equal(res.status, 200, res.text);
        for (const [stream, page] of Object.entries(res.body.streams)) latest[stream] = { seq: page.latestSeq, epoch: page.epoch };
      }
      return latest;
    };
    const latest = await latestSeqs();
    const lagging = () => devices.filter((d) => !d.caughtUpWith(latest));
    for (let round = 0; round < 5 && lagging().length > 0; round += 1) {
      await Promise.allSettled(lagging().map((d) => d.signingIn));
      await withTimeout(Promise.allSettled(lagging().map((d) => d.life.client.sync())), 15_000, "sync() of the lagging devices").catch(() => {});
      await waitFor(() => lagging().length === 0, 5_000, "every device to catch up", 200).catch(() => {});
    }
    const notCaughtUp = lagging().map((d) => `${d.life.id} ${JSON.stringify(d.cursors())} ended=${d.life.endReason}`);
    for (const d of devices) d.running = false;
    await Promise.all(devices.flatMap((d) => d.lives.map((l) => l.client.stop())));
    const runEnd = Date.now();

    // ---- check ----
    const lives = devices.flatMap((d) => d.lives.map((l) => ({
      id: l.id, userId: l.userId, streams: l.streams, startedAt: l.startedAt ?? Infinity, endedAt: l.endedAt, endReason: l.endReason,
      startCursors: l.startCursors, events: l.events, at: l.at,
    })));
    const report = checkDataLoss({ sends, lives, audience, latest });
    const c = report.counts;
    writeFileSync(path.join(sys.logDir, "run.json"), JSON.stringify({ seed: SEED, runStart, faults, report, sends, lives, latest }));
    const failures = {};
    for (const s of sends) if (s.status !== 202) failures[s.status ? `HTTP ${s.status}` : `error ${s.error}`] = (failures[s.status ? `HTTP ${s.status}` : `error ${s.error}`] ?? 0) + 1;
    const acceptedAfter = (t) => sends.filter((s) => s.status === 202 && s.t0 > t).length;

    console.log("data-loss: results");
    console.log(`  run time ${((runEnd - runStart) / 1000).toFixed(1)} s; sends attempted ${c.sendsAttempted}, 202 ${c.accepted}, failed ${c.failed} ${JSON.stringify(failures)}`);
    console.log(`  partial loss: ${c.lostPartial} accepted messages lost; accepted after it ${acceptedAfter(partialAt)}`);
    console.log(`  restart without persistence: ${c.lostWipe} accepted messages lost; accepted after it ${acceptedAfter(wipeReadyAt)}; sessions ended ${c.sessionsEnded} (${JSON.stringify(Object.fromEntries(Object.entries(lives.reduce((a, l) => { if (l.endReason) a[l.endReason] = (a[l.endReason] ?? 0) + 1; return a; }, {}))))}), lives ${c.lives}, signed in to the end ${c.livesSignedInToTheEnd}`);
    console.log(`  accepted after a life began, on lives signed in to the end: expected ${c.acceptedAfterStartExpected}, delivered ${c.acceptedAfterStartDelivered}, missing ${c.missing}, holes ${c.holes}`);
    console.log(`  duplicates ${c.duplicates}, out-of-order ${c.outOfOrder}, misrouted ${c.misrouted}, recovery-lost events ${c.recoveryLost}`);
    console.log(`  lost with Redis's data, per life signed in when sent: ${c.lostExpected}: delivered ${c.lostDelivered}, reported by recovery-lost ${c.lostReportedByRecoveryLost}, by the session ending ${c.lostReportedBySessionEnd}, silently missing ${c.lostSilently}`);
    if (notCaughtUp.length) console.log(`  not caught up: ${JSON.stringify(notCaughtUp)}`);
    if (report.problems.length) console.log(`  problems (first ${report.problems.length}): ${JSON.stringify(report.problems, null, 1)}`);

    assert.deepEqual(notCaughtUp, [], "every device caught up with every stream it reads");
    assert.ok(c.lostPartial > 0 && c.lostWipe > 0, "both faults lost accepted messages");
    assert.ok(c.sessionsEnded > 0, "the restart without persistence ended sessions");
    assert.equal(c.missing, 0, "missing deliveries");
    assert.equal(c.holes, 0, "holes");
    assert.equal(c.duplicates, 0, "duplicate deliveries");
    assert.equal(c.outOfOrder, 0, "out-of-order deliveries");
    assert.equal(c.misrouted, 0, "misrouted deliveries");
    assert.equal(c.lostSilently, 0, "messages lost with Redis's data and never reported");
    assert.ok(report.ok);
  });
});
