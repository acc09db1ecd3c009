// One session cannot stall everyone. A user in 8 rooms holding 30 messages of 60 KB each (14 MB)
// floods with 24 concurrent syncs (within their burst; the instance runs them two at a time); each answer holds at
// most Limits__SyncAnswerBytes (1 MiB) and says more: true, and another user's empty sync stays fast. Both latencies
// are printed.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { pool, startSystem, uid } from "../lib/system.mjs";

const ROOMS = 8;
const MESSAGES_PER_ROOM = 30;
const PAYLOAD = "x".repeat(60 * 1024);
const FLOOD = 24;
const ANSWER_LIMIT = 1024 * 1024;

const percentile = (values, p) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * p))];

describe("a sync flood from one session", () => {
  let sys;
  before(async () => { sys = await startSystem({ name: "flood" }); });
  after(async () => { await sys?.stop(); });

  it("answers are bounded in bytes and another user's sync stays fast", async () => {
    const flooder = uid("flooder");
    const other = uid("other");
    const flooderSession = await sys.login(flooder);
    const otherSession = await sys.login(other);
    const rooms = Array.from({ length: ROOMS }, (_, i) => `${flooder}-r${i}`);
    for (const room of rooms) assert.equal((await sys.api("PUT", `/api/rooms/${room}/members/${flooder}`)).status, 204);
    await pool(ROOMS * MESSAGES_PER_ROOM, 8, async (i) => {
      const res = await sys.api("POST", `/api/rooms/${rooms[i % ROOMS]}/messages`, { body: { payload: PAYLOAD } });
      assert.equal(res.status, 202, res.text);
    });

    async function timedSync(session) {
      const started = performance.now();
      const res = await sys.sync(session, {});
      return { ms: performance.now() - started, res };
    }
    const quiet = [];
    for (let i = 0; i < 10; i++) quiet.push((await timedSync(otherSession)).ms);

    const during = [];
    let stop = false;
    const watcher = (async () => { while (!stop) during.push((await timedSync(otherSession)).ms); })();
    const flood = await Promise.all(Array.from({ length: FLOOD }, () => timedSync(flooderSession)));
    stop = true;
    await watcher;

    for (const { res } of flood) {
      assert.equal(res.status, 200, res.text);
      assert.ok(res.text.length < ANSWER_LIMIT + 256 * 1024, `an answer of ${res.text.length} bytes`);
      const roomStreams = Object.entries(res.body.streams).filter(([name]) => name.startsWith("room:"));
      assert.ok(roomStreams.some(([, s]) => s.more), "the flooder is told to come back for the rest (more: true)");
    }
    const quietP50 = percentile(quiet, 0.5);
    const duringP50 = percentile(during, 0.5);
    const floodP50 = percentile(flood.map((f) => f.ms), 0.5);
    console.log(`flood: ${FLOOD} syncs of ${(flood[0].res.text.length / 1024).toFixed(0)} KiB each (p50 ${floodP50.toFixed(0)} ms); `
      + `another user's empty sync p50 quiet ${quietP50.toFixed(1)} ms, during the flood ${duringP50.toFixed(1)} ms (${during.length} syncs)`);
    // A generous bound: the point is "not seconds" (it was 21.8 s before answers were bounded).
    assert.ok(duringP50 < Math.max(20 * quietP50, 1000), `another user's sync p50 went from ${quietP50.toFixed(1)} to ${duringP50.toFixed(1)} ms`);
  });
});
