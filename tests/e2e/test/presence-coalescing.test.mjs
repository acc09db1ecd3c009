// The cost of presence does not grow as O(N²): a burst of logins and connections is told
// to everyone as a bounded number of coalesced `update_online_count` pushes (about one per 250 ms
// interval), the last one right; and GET /api/online pages through everyone without duplicates.
//
// E2E_BURST_LOGINS (default 1000) logins, of which E2E_BURST_CONNECTIONS (default 200) connect.
// Run with one app instance and with two behind a round-robin balancer: the coalescing window is held in
// Redis, so the bound holds across instances.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { pool, startSystem, uid, waitFor } from "../lib/system.mjs";

const LOGINS = Number(process.env.E2E_BURST_LOGINS ?? 1000);
const CONNECTIONS = Number(process.env.E2E_BURST_CONNECTIONS ?? 200);
const BATCH = 50;
const INTERVAL_SECONDS = 0.25; // Presence__OnlinePushIntervalMs default

for (const instances of [1, 2]) describe(`online pushes under a burst (${instances} app instance${instances > 1 ? "s" : ""})`, () => {
  let sys;
  let observerId;
  let observer;
  let connectedIds = [];
  let conns = [];
  let burst;
  const expected = CONNECTIONS + 1; // and the observer

  // The burst, watched by one observer: both tests read what it left (the pushes seen, who is online).
  before(async () => {
    sys = await startSystem({ name: `presence-coalescing-${instances}`, instances });
    observerId = uid("observer");
    observer = await sys.connect(await sys.login(observerId, "Observer", "laptop"));
    await waitFor(() => observer.received.update_online_count.some((u) => u?.online_count === 1), 10_000,
      "the observer's own online push");

    const prefix = uid("burst");
    const ids = Array.from({ length: LOGINS }, (_, i) => `${prefix}-${String(i).padStart(4, "0")}`);
    const loginStarted = Date.now();
    const sessions = await pool(LOGINS, 50, (i) => sys.login(ids[i], `User ${i}`, "laptop"));
    const loginSeconds = (Date.now() - loginStarted) / 1000;

    const started = Date.now();
    for (let i = 0; i < CONNECTIONS; i += BATCH) {
      conns.push(...await Promise.all(sessions.slice(i, Math.min(i + BATCH, CONNECTIONS)).map((s) => sys.connect(s))));
    }
    const connectSeconds = (Date.now() - started) / 1000;
    connectedIds = conns.map((c) => c.userId);

    await waitFor(() => observer.received.update_online_count.some((u) => u?.online_count === expected),
      60_000, `an update_online_count with online_count ${expected}`)
      .catch((e) => { e.message += ` (last: ${JSON.stringify(observer.received.update_online_count.at(-1)?.online_count)})`; throw e; });
    const reachedAt = Date.now();
    // One more user after the burst: the push that counts them comes after every push of the burst, so the
    // burst's pushes are all in by then (counts never go down while users only connect).
    const lateId = uid("late");
    await sys.connect(await sys.login(lateId, "Late", "laptop"));
    connectedIds.push(lateId);
    await waitFor(() => observer.received.update_online_count.some((u) => u?.online_count === expected + 1),
      30_000, `an update_online_count with online_count ${expected + 1} after the burst`);
    burst = { loginSeconds, connectSeconds, duration: (reachedAt - started) / 1000 };
  });
  after(async () => { await sys?.stop(); });

  /** The update_online_count pushes the burst caused at a connection: counts above one, up to everyone in it. */
  const burstPushes = (conn) => conn.received.update_online_count.filter((u) => u?.online_count > 1 && u.online_count <= expected);

  it(`${LOGINS} logins and ${CONNECTIONS} connections in a burst cost a bounded number of update_online_count pushes`, () => {
    const pushes = burstPushes(observer);
    const bound = burst.duration / INTERVAL_SECONDS + 3;
    console.log(`${instances} instance(s): burst: ${LOGINS} logins in ${burst.loginSeconds.toFixed(1)} s; ${CONNECTIONS} connections (batches of ${BATCH}) in ${burst.connectSeconds.toFixed(1)} s; `
      + `online_count ${expected} reached after ${burst.duration.toFixed(2)} s; update_online_count pushes at the observer: ${pushes.length} `
      + `(bound ${bound.toFixed(1)}); counts: ${pushes.map((u) => u.online_count).join(",")}`);

    assert.ok(pushes.length <= bound, `${pushes.length} pushes in ${burst.duration.toFixed(2)} s; bound ${bound.toFixed(1)}`);
    assert.ok(pushes.length < CONNECTIONS / 4, `${pushes.length} pushes is far fewer than ${CONNECTIONS} connections`);
    const last = pushes.at(-1);
    assert.equal(last.online_count, expected, `the burst's last push counts everyone connected: ${last.online_count}`);
    assert.equal(last.user_list.length, Math.min(expected, 100), "user_list is capped at 100 (the rest pages from /api/online)");
    const counts = pushes.map((u) => u.online_count);
    assert.ok(counts.every((c, i) => i === 0 || c >= counts[i - 1]), `counts never go down during a connect-only burst: ${counts}`);
    for (const conn of conns.slice(0, 10)) {
      assert.ok(burstPushes(conn).length <= bound, `${conn.userId} got a bounded number of pushes`);
    }
  });

  it("GET /api/online?limit=50 pages with next; the pages concatenate to every online user, without duplicates", async () => {
    const everyone = [observerId, ...connectedIds].sort();
    const seen = [];
    let after = null;
    let pages = 0;
    let count;
    for (;;) {
      const query = `?limit=50${after ? `&after=${encodeURIComponent(after)}` : ""}`;
      const res = await sys.api("GET", `/api/online${query}`);
      assert.equal(res.status, 200, `${query}: ${res.text}`);
      pages++;
      assert.ok(res.body.users.length <= 50, `page ${pages} holds at most 50`);
      count ??= res.body.onlineCount;
      assert.equal(res.body.onlineCount, count, "the count is stable while nobody connects");
      seen.push(...res.body.users.map((u) => u.userId));
      if (!res.body.next) break;
      assert.equal(res.body.users.length, 50, `a page followed by another is full (page ${pages})`);
      after = res.body.next;
      assert.ok(pages < 100, "paging ends");
    }
    console.log(`GET /api/online?limit=50: ${pages} pages, ${seen.length} users, onlineCount ${count}`);
    assert.equal(new Set(seen).size, seen.length, "no user twice");
    assert.deepEqual([...seen].sort(), everyone, "every online user, and only them");
    assert.equal(count, everyone.length);
    assert.equal(pages, Math.ceil(everyone.length / 50));

    const tooBig = await sys.api("GET", "/api/online?limit=0");
    assert.equal(tooBig.status, 400, `limit=0: ${tooBig.status} ${tooBig.text}`);
  });
});
