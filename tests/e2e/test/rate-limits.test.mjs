// Issue 6: rate limits per session and per server key (429 + Retry-After), and a flood from one
// session does not hold up another user's delivery (the latencies are printed, not asserted).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { startSystem, syncedMessages, uid, waitFor } from "../lib/system.mjs";

const SESSION_PER_SECOND = 5;
const SERVER_PER_SECOND = 30;

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
      appEnv: {
        RateLimit__SessionPerSecond: String(SESSION_PER_SECOND),
        RateLimit__ServerPerSecond: String(SERVER_PER_SECOND),
      },
    });
  });
  after(async () => { await sys?.stop(); });

  it("a flooding session gets 429 with Retry-After, and is served again after the delay", async () => {
    const session = await sys.login(uid("flooder"));
    const answers = await Promise.all(Array.from({ length: 40 }, () => sys.sync(session)));
    const limited = answers.filter((r) => r.status === 429);
    assert.ok(limited.length > 0, "some of 40 concurrent syncs are refused");
    assert.ok(answers.every((r) => r.status === 200 || r.status === 429), answers.map((r) => r.status).join(","));
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
    const flood = (async () => {
      while (flooding) {
        const batch = await Promise.all(Array.from({ length: 20 }, () => sys.sync(flooder)));
        refused += batch.filter((r) => r.status === 429).length;
        served += batch.filter((r) => r.status === 200).length;
      }
    })();
    try {
      const bobSyncs = [];
      const loud = await deliveryLatencies(10);
      for (let i = 0; i < 3; i++) bobSyncs.push(await sys.sync(bob));
      assert.ok(bobSyncs.every((r) => r.status === 200), "bob's own syncs are not limited by the flood");
      console.log(`# rate limits: bob's delivery p50/max ms quiet ${percentile(quiet, 50).toFixed(1)}/${Math.max(...quiet).toFixed(1)}, `
        + `during a flood ${percentile(loud, 50).toFixed(1)}/${Math.max(...loud).toFixed(1)}; flooder served ${served}, refused ${refused}`);
      assert.ok(refused > 0, "the flooder was limited");
    } finally {
      flooding = false;
      await flood;
    }
  });

  it("the server key is limited too, and a refused send stores nothing", async () => {
    const userId = uid("carol");
    const session = await sys.login(userId);
    await sleep(2100); // let the server key's bucket refill after the login and earlier tests
    const answers = await Promise.all(Array.from({ length: 6 * SERVER_PER_SECOND }, (_, i) => sys.sendToUser(userId, { i })));
    const accepted = answers.filter((r) => r.status === 202);
    const limited = answers.filter((r) => r.status === 429);
    assert.equal(accepted.length + limited.length, answers.length, answers.map((r) => r.status).join(","));
    assert.ok(limited.length > 0, "some of the burst is refused");
    assertTooMany(limited[0]);

    await sleep(Number(limited[0].headers.get("retry-after")) * 1000);
    const synced = syncedMessages((await sys.sync(session, { [`user:${userId}`]: 0 })).body, `user:${userId}`);
    assert.deepEqual(
      synced.map((m) => m.id).sort(),
      accepted.map((r) => r.body.id).sort(),
      "exactly the accepted sends were stored");
  });
});
