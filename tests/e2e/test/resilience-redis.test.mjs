// When Redis is down, sends fail fast and politely (503, Retry-After, problem+json),
// and work again once Redis is back, without restarting the app.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { startSystem, syncedMessages, uid, waitFor } from "../lib/system.mjs";

describe("Redis down", () => {
  let sys;
  before(async () => { sys = await startSystem({ name: "resilience-redis" }); });
  after(async () => { await sys?.stop(); });

  it("sends get 503 with Retry-After while Redis is down, and succeed again after it is back", async () => {
    const user = uid("ivan");
    await sys.login(user, "Ivan", "laptop");
    const ok = await sys.sendToUser(user, { n: 0 });
    assert.equal(ok.status, 202, ok.text);

    await sys.stopRedis();
    try {
      for (let attempt = 1; attempt <= 2; attempt++) {
        const res = await sys.sendToUser(user, { n: attempt });
        assert.equal(res.status, 503, `attempt ${attempt}: ${res.status} ${res.text}`);
        const retryAfter = res.headers.get("retry-after");
        assert.ok(retryAfter && /^\s*\d+\s*$|GMT/.test(retryAfter), `Retry-After: ${retryAfter}`);
        assert.match(res.headers.get("content-type") ?? "", /application\/problem\+json/);
        assert.equal(res.body?.status ?? 503, 503);
        assert.ok(res.body?.title, "the problem has a title");
      }
      const health = await waitFor(async () => {
        const r = await sys.api("GET", "/api/health", { auth: null });
        return r.status === 503 ? r : null;
      }, 15_000, "/api/health to answer 503 while Redis is down");
      assert.equal(health.status, 503);
    } finally {
      await sys.startRedis(); // same port
    }

    let last;
    const sent = await waitFor(async () => {
      last = await sys.sendToUser(user, { n: "back" });
      if (last.status === 202) return last.body;
      assert.notEqual(last.status, 500, `no 500 while Redis comes back: ${last.text}`);
      await sleep(250);
      return null;
    }, 20_000, "a send to succeed after Redis is back").catch((e) => {
      e.message += ` (last answer: ${last?.status} ${last?.text})`;
      throw e;
    });

    const phone = await sys.login(user, "Ivan", "phone");
    const sync = await sys.sync(phone, { [`user:${user}`]: 0 });
    assert.equal(sync.status, 200, sync.text);
    assert.ok(syncedMessages(sync.body, `user:${user}`).some((m) => m.id === sent.id),
      "the message sent after the outage is in the stream");
    const health = await sys.api("GET", "/api/health", { auth: null });
    assert.equal(health.status, 200, health.text);
  });
});
