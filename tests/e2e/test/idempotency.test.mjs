// A retried send with the same Idempotency-Key returns the first result and sends nothing
// again, even when the retries race each other; the same key for a different message is refused.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { startSystem, syncedMessages, uid, waitFor } from "../lib/system.mjs";

describe("idempotent sends", () => {
  let sys;
  before(async () => { sys = await startSystem({ name: "idempotency" }); });
  after(async () => { await sys?.stop(); });

  it("100 concurrent sends with one Idempotency-Key: all 202 with the same {id, seq}; delivered once", async () => {
    const joy = uid("joy");
    const stream = `user:${joy}`;
    const session = await sys.login(joy, "Joy", "laptop");
    const conn = await sys.connect(session);
    const key = randomUUID();
    const payload = { text: "invoice paid", amount: 42 };

    const responses = await Promise.all(Array.from({ length: 100 },
      () => sys.sendToUser(joy, payload, { "Idempotency-Key": key })));
    const statuses = {};
    for (const r of responses) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
    assert.deepEqual(statuses, { 202: 100 }, `statuses: ${JSON.stringify(statuses)}; e.g. ${responses.find((r) => r.status !== 202)?.text}`);
    const distinct = new Set(responses.map((r) => `${r.body.id}|${r.body.seq}|${r.body.stream}`));
    assert.equal(distinct.size, 1, `one {id, seq} for all: ${[...distinct].slice(0, 5).join(", ")}`);
    const { id, seq } = responses[0].body;

    const msg = await waitFor(() => conn.received.message.find((m) => m.id === id), 10_000, "the message at the connection");
    assert.deepEqual(msg.payload, payload);
    await sleep(500);
    assert.equal(conn.received.message.length, 1, `exactly one message received (got ${conn.received.message.length})`);

    const sync = await sys.sync(session, { [stream]: 0 });
    assert.equal(sync.status, 200, sync.text);
    const synced = syncedMessages(sync.body, stream);
    assert.equal(synced.length, 1, `the stream holds one message: ${JSON.stringify(synced.map((m) => m.seq))}`);
    assert.equal(synced[0].id, id);
    assert.equal(synced[0].seq, seq);
    assert.equal(sync.body.streams[stream].latestSeq, seq, "no seq was used up by the retries");

    // A later retry (after the race) still answers the first result.
    const late = await sys.sendToUser(joy, payload, { "Idempotency-Key": key });
    assert.equal(late.status, 202, late.text);
    assert.deepEqual({ id: late.body.id, seq: late.body.seq }, { id, seq });
  });

  it("a broadcast and a room message retried concurrently with one key are each delivered once", async () => {
    const lin = uid("lin");
    const room = uid("room");
    await sys.api("PUT", `/api/rooms/${room}/members/${lin}`);
    const conn = await sys.connect(await sys.login(lin, "Lin", "laptop"));
    const bKey = randomUUID();
    const rKey = randomUUID();
    const [broadcasts, roomSends] = await Promise.all([
      Promise.all(Array.from({ length: 20 }, () => sys.broadcast({ b: bKey }, { "Idempotency-Key": bKey }))),
      Promise.all(Array.from({ length: 20 }, () => sys.api("POST", `/api/rooms/${room}/messages`,
        { body: { payload: { r: rKey } }, headers: { "Idempotency-Key": rKey } }))),
    ]);
    for (const [what, list] of [["broadcast", broadcasts], ["room", roomSends]]) {
      assert.deepEqual([...new Set(list.map((r) => r.status))], [202], `${what}: ${list.find((r) => r.status !== 202)?.text}`);
      assert.equal(new Set(list.map((r) => `${r.body.id}|${r.body.seq}`)).size, 1, `${what}: one {id, seq}`);
    }
    assert.ok(roomSends.every((r) => r.body.total === 1), `a replayed room send answers the same counts: ${roomSends.map((r) => r.body.total)}`);
    await waitFor(() => conn.received.message.some((m) => m.id === broadcasts[0].body.id), 10_000, "the broadcast");
    await waitFor(() => conn.received.room_message.some((m) => m.id === roomSends[0].body.id), 10_000, "the room message");
    await sleep(500);
    assert.equal(conn.received.message.filter((m) => m.payload?.b === bKey).length, 1, "one broadcast received");
    assert.equal(conn.received.room_message.filter((m) => m.payload?.r === rKey).length, 1, "one room message received");
  });

  it("the same key with a different payload is 422 problem+json and sends nothing", async () => {
    const kit = uid("kit");
    const stream = `user:${kit}`;
    const session = await sys.login(kit, "Kit", "laptop");
    const conn = await sys.connect(session);
    const key = randomUUID();

    const first = await sys.sendToUser(kit, { n: 1 }, { "Idempotency-Key": key });
    assert.equal(first.status, 202, first.text);
    const clash = await sys.sendToUser(kit, { n: 2 }, { "Idempotency-Key": key });
    assert.equal(clash.status, 422, `same key, different payload: ${clash.status} ${clash.text}`);
    assert.match(clash.headers.get("content-type") ?? "", /application\/problem\+json/);
    assert.ok(clash.body?.title, "the problem has a title");

    await waitFor(() => conn.received.message.find((m) => m.id === first.body.id), 10_000, "the first message");
    await sleep(400);
    assert.deepEqual(conn.received.message.map((m) => m.payload), [{ n: 1 }], "only the first message arrived");
    const sync = await sys.sync(session, { [stream]: 0 });
    assert.deepEqual(syncedMessages(sync.body, stream).map((m) => m.payload), [{ n: 1 }], "only the first is stored");
  });
});
