// Rate limits per session, per user (all their sessions together) and per server key (429 + Retry-After), each
// admitting the burst and rate its setting says; and a flood from one session neither refuses nor slows another
// user's delivery (bob's delivery latency during the flood is held to a bound of his latency without it).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { startSystem, syncedMessages, uid, waitFor } from "../lib/system.mjs";

const SESSION_PER_SECOND = 5;
const USER_PER_SECOND = 8;
const SERVER_PER_SECOND = 30;

/**
 * Token buckets hold two seconds' worth and get a second's worth back each second: at most this many of a burst
 * that took `seconds` pass (one refill more than whole seconds, as the refills fall where they fall).
 */
function mostAdmitted(perSecond, seconds) {
  return 2 * perSecond + perSecond * (Math.ceil(seconds) + 1);
}

function assertTooMany(res) {
  assert.equal(res.status, 429, res.text);
  assert.match(res.headers.get("content-type") ?? "", /application\/problem\+json/);
  assert.ok(Number(res.headers.get("retry-after")) >= 1, `Retry-After: ${res.headers.get("retry-after")}`);
  assert.ok(res.body.title, "the problem has a title");
}

function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

describe("rate limits", () => {
  let sys;
  before(async () => {
    sys = await startSystem({
      name: "rate-limits",
      instances: 1, // the buckets are per app instance
      appEnv: {
        RateLimit__SessionPerSecond: String(SESSION_PER_SECOND),
        RateLimit__UserPerSecond: String(USER_PER_SECOND),
        RateLimit__ServerPerSecond: String(SERVER_PER_SECOND),
      },
    });
  });
  after(async () => { await sys?.stop(); });

  it("a flooding session gets 429 with Retry-After, and is served again after the delay", async () => {
    const session = await sys.login(uid("flooder"));
    const started = performance.now();
    const answers = await Promise.all(Array.from({ length: 40 }, () => sys.sync(session)));
    const seconds = (performance.now() - started) / 1000;
    const limited = answers.filter((r) => r.status === 429);
    const served = answers.length - limited.length;
    assert.ok(answers.every((r) => r.status === 200 || r.status === 429), answers.map((r) => r.status).join(","));
    // A new session's bucket is full: its burst of two seconds' worth passes, and little more.
    assert.ok(served >= 2 * SESSION_PER_SECOND && served <= mostAdmitted(SESSION_PER_SECOND, seconds),
      `${served} of 40 concurrent syncs served in ${seconds.toFixed(2)} s at ${SESSION_PER_SECOND}/s`);
    assert.ok(limited.length > 0, `none of 40 concurrent syncs refused in ${seconds.toFixed(2)} s`);
    assertTooMany(limited[0]);

    await sleep(Number(limited[0].headers.get("retry-after")) * 1000);
    assert.equal((await sys.sync(session)).status, 200);
  });

  it("a flood from one session does not refuse or slow another user's delivery", async () => {
    const flooder = await sys.login(uid("flooder"));
    const bobId = uid("bob");
    const bob = await sys.login(bobId);
    const bobConnection = await sys.connect(bob);

    // Bob's delivery latency: time from the send's 202 request start to the live message.
    async function deliveryLatencies(count) {
      const latencies = [];
      for (let i = 0; i < count; i++) {
        const started = performance.now();
        const res = await sys.sendToUser(bobId, { i, at: started });
        assert.equal(res.status, 202, res.text);
        await waitFor(() => bobConnection.received.message.some((m) => m.id === res.body.id), 10_000, `message ${i} to bob`);
        latencies.push(performance.now() - started);
        await sleep(50);
      }
      return latencies;
    }

    const quiet = await deliveryLatencies(10);

    let flooding = true;
    let refused = 0;
    let served = 0;
    const floodStarted = performance.now();
    const flood = (async () => {
      // 200 requests a second, 40 times the session's rate (paced, so that this process, which also measures bob,
      // spends its time on his messages as much as on the flood).
      while (flooding) {
        const [batch] = await Promise.all([Promise.all(Array.from({ length: 20 }, () => sys.sync(flooder))), sleep(100)]);
        refused += batch.filter((r) => r.status === 429).length;
        served += batch.filter((r) => r.status === 200).length;
      }
    })();
    try {
      const bobSyncs = [];
      const loud = await deliveryLatencies(10);
      for (let i = 0; i < 3; i++) bobSyncs.push(await sys.sync(bob));
      assert.ok(bobSyncs.every((r) => r.status === 200), "bob's own syncs are not limited by the flood");
      const floodSeconds = (performance.now() - floodStarted) / 1000;
      const figures = `bob's delivery p50/max ms quiet ${percentile(quiet, 50).toFixed(1)}/${Math.max(...quiet).toFixed(1)}, `
        + `during a flood ${percentile(loud, 50).toFixed(1)}/${Math.max(...loud).toFixed(1)}; `
        + `flooder served ${served}, refused ${refused} in ${floodSeconds.toFixed(1)} s`;
      console.log(`# rate limits: ${figures}`);
      assert.ok(refused > 0 && served <= mostAdmitted(SESSION_PER_SECOND, floodSeconds), `the flooder is held to its rate: ${figures}`);
      // The flood shares this machine's two cores with bob, so his latency may grow by the CPU it takes; a flood that
      // held bob's sends behind its own requests would cost him far more: half a second at the median, seconds at worst.
      assert.ok(percentile(loud, 50) <= percentile(quiet, 50) + 500, `bob's median delivery during the flood: ${figures}`);
      assert.ok(Math.max(...loud) <= 3000, `bob's slowest delivery during the flood: ${figures}`);
    } finally {
      flooding = false;
      await flood;
    }
  });

  it("a user's sessions share one bucket: together they get the per-user burst, not one burst per session", async () => {
    const userId = uid("many-tabs");
    const sessions = [];
    for (let i = 0; i < 8; i++) sessions.push(await sys.login(userId, "Many tabs", `tab-${i}`));
    const started = performance.now();
    // Each session stays within its own full bucket (two seconds' worth), so only the user's bucket can refuse.
    const answers = await Promise.all(sessions.flatMap((session) =>
      Array.from({ length: 2 * SESSION_PER_SECOND }, () => sys.sync(session))));
    const seconds = (performance.now() - started) / 1000;
    const served = answers.filter((r) => r.status === 200).length;
    assert.ok(answers.every((r) => r.status === 200 || r.status === 429), answers.map((r) => r.status).join(","));
    assert.ok(served >= 2 * USER_PER_SECOND && served <= mostAdmitted(USER_PER_SECOND, seconds),
      `${served} of ${answers.length} syncs from ${sessions.length} sessions of one user served in ${seconds.toFixed(2)} s at ${USER_PER_SECOND}/s per user`);
    const limited = answers.find((r) => r.status === 429);
    assert.ok(limited, `none of ${answers.length} syncs refused in ${seconds.toFixed(2)} s`);
    assertTooMany(limited);

    const other = await sys.login(uid("other"));
    assert.equal((await sys.sync(other)).status, 200, "another user is not limited by this one");
  });

  it("the server key is limited too, and a refused send stores nothing", async () => {
    const userId = uid("carol");
    const session = await sys.login(userId);
    const started = performance.now();
    const answers = await Promise.all(Array.from({ length: 6 * SERVER_PER_SECOND }, (_, i) => sys.sendToUser(userId, { i })));
    const seconds = (performance.now() - started) / 1000;
    const accepted = answers.filter((r) => r.status === 202);
    const limited = answers.filter((r) => r.status === 429);
    assert.equal(accepted.length + limited.length, answers.length, answers.map((r) => r.status).join(","));
    // The server key's bucket may be part spent by the file's other calls (logins, sends), never by more than a
    // second's worth in the last second: at least that passes, and at most the bucket and its refills.
    assert.ok(accepted.length >= SERVER_PER_SECOND && accepted.length <= mostAdmitted(SERVER_PER_SECOND, seconds),
      `${accepted.length} of ${answers.length} concurrent sends accepted in ${seconds.toFixed(2)} s at ${SERVER_PER_SECOND}/s`);
    assert.ok(limited.length > 0, `none of ${answers.length} concurrent sends refused in ${seconds.toFixed(2)} s`);
    assertTooMany(limited[0]);

    const synced = syncedMessages((await sys.sync(session, { [`user:${userId}`]: 0 })).body, `user:${userId}`);
    assert.deepEqual(
      synced.map((m) => m.id).sort(),
      accepted.map((r) => r.body.id).sort(),
      "exactly the accepted sends were stored");
  });
});
