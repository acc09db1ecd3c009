// A broadcast reaches every logged-in user once per client (every tab and device), costs one
// REST call whatever the audience, waits in the stream for offline users, and is not replayed to
// users who first logged in after it was sent.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { startSystem, syncedMessages, uid, userListHas, waitFor } from "../lib/system.mjs";

const SEND_OPERATIONS = ["sendToHub", "sendToUser", "sendToGroup", "sendToConnection"];

describe("broadcast", () => {
  let sys;
  before(async () => { sys = await startSystem({ name: "broadcast" }); });
  after(async () => { await sys?.stop(); });

  function copies(conn, id) {
    return conn.received.message.filter((m) => m?.id === id);
  }

  async function broadcastOk(payload) {
    const res = await sys.broadcast(payload);
    assert.equal(res.status, 202, res.text);
    assert.equal(res.body.stream, "broadcast");
    assert.ok(Number.isInteger(res.body.seq) && res.body.seq > 0, `seq ${res.body.seq}`);
    assert.equal(typeof res.body.id, "string");
    return res.body;
  }

  async function syncOk(session, cursors = {}) {
    const res = await sys.sync(session, cursors);
    assert.equal(res.status, 200, res.text);
    return res.body;
  }

  it("two tabs of one user each get exactly one copy, and another user gets one", async () => {
    const ann = uid("ann");
    const ben = uid("ben");
    const annSession = await sys.login(ann, "Ann", "laptop");
    const tab1 = await sys.connect(annSession);
    const tab2 = await sys.connect(annSession);
    const benConn = await sys.connect(await sys.login(ben, "Ben", "phone"));

    const payload = { notice: "maintenance at 22:00", at: Date.now() };
    const sent = await broadcastOk(payload);

    for (const [who, conn] of [["ann tab 1", tab1], ["ann tab 2", tab2], ["ben", benConn]]) {
      const msg = await waitFor(() => copies(conn, sent.id)[0], 10_000, `the broadcast at ${who}`);
      assert.equal(msg.stream, "broadcast");
      assert.equal(msg.seq, sent.seq);
      assert.deepEqual(msg.payload, payload);
      assert.ok(msg.sentAt, "sentAt is set");
    }
    await sleep(500); // a duplicate would show up by now
    assert.equal(copies(tab1, sent.id).length, 1, "ann's tab 1 got exactly one copy");
    assert.equal(copies(tab2, sent.id).length, 1, "ann's tab 2 got exactly one copy");
    assert.equal(copies(benConn, sent.id).length, 1, "ben got exactly one copy");
  });

  it("one broadcast to N connected users is exactly one REST send call", async () => {
    const n = 8;
    const users = Array.from({ length: n }, () => uid("crowd"));
    const answered = await sys.upstreamEventsAnswered();
    const conns = await Promise.all(users.map(async (u) => sys.connect(await sys.login(u, u, "laptop"))));
    // Let presence settle (the coalesced update_online_count pushes are REST sends too): the app answers each
    // connected event once its online push, or the wait for the push window that covers it, is done.
    await waitFor(async () => (await sys.upstreamEventsAnswered()) >= answered + n, 15_000, "the N connected events answered");
    await waitFor(() => conns[0].received.update_online_count.some((x) => users.every((u) => userListHas(x?.user_list, u))),
      15_000, "an update_online_count listing all N users");

    const before = await sys.emulatorStats();
    const sent = await broadcastOk({ hello: "everyone" });
    for (const conn of conns) {
      await waitFor(() => copies(conn, sent.id).length > 0, 10_000, `the broadcast at ${conn.userId}`);
    }
    await sleep(300);
    const afterStats = await sys.emulatorStats();

    const delta = {};
    for (const op of new Set([...Object.keys(before.restCallsByOperation), ...Object.keys(afterStats.restCallsByOperation)])) {
      const d = (afterStats.restCallsByOperation[op] ?? 0) - (before.restCallsByOperation[op] ?? 0);
      if (d) delta[op] = d;
    }
    console.log(`REST calls for one broadcast to ${n} connected users: ${JSON.stringify(delta)}`);
    const sends = SEND_OPERATIONS.reduce((sum, op) => sum + (delta[op] ?? 0), 0);
    assert.equal(sends, 1, `exactly one REST send call (by operation: ${JSON.stringify(delta)})`);
    assert.equal(delta.sendToHub, 1, `the one send is to the hub (${JSON.stringify(delta)})`);
    assert.equal(afterStats.restCalls - before.restCalls, 1, `one REST call in all (${JSON.stringify(delta)})`);
    for (const conn of conns) assert.equal(copies(conn, sent.id).length, 1, `${conn.userId} got exactly one copy`);
  });

  it("a user offline during broadcasts gets them by sync, in order, once", async () => {
    const cleo = uid("cleo");
    const session = await sys.login(cleo, "Cleo", "laptop");
    const conn = await sys.connect(session);
    await syncOk(session); // her device is up to date
    await conn.stop(); // and now she is offline

    const sent = [await broadcastOk({ n: 1 }), await broadcastOk({ n: 2 })];

    const back = await syncOk(session); // no cursor of her own: the server's cursor for her
    const ours = syncedMessages(back, "broadcast").filter((m) => sent.some((s) => s.id === m.id));
    assert.deepEqual(ours.map((m) => m.id), sent.map((s) => s.id), "both broadcasts, in order, once");
    assert.deepEqual(ours.map((m) => m.payload.n), [1, 2]);
    assert.equal(back.streams.broadcast.recovered, true);

    const again = await syncOk(session);
    assert.deepEqual(syncedMessages(again, "broadcast").filter((m) => sent.some((s) => s.id === m.id)), [],
      "a second sync does not return them again");
  });

  it("a user who first logs in after some broadcasts does not get those old broadcasts by sync", async () => {
    const old = [await broadcastOk({ old: 1 }), await broadcastOk({ old: 2 })];

    const dev = uid("dev");
    await sys.login(dev, "Dev", "laptop"); // first login ever: the broadcast cursor starts here
    // The cursor starts at the FIRST login: a broadcast sent after it, then a second login on a
    // fresh device, still gets it (a later login does not move the start forward).
    const fresh = await broadcastOk({ fresh: true });
    const phone = await sys.login(dev, "Dev", "phone");

    const onPhone = await syncOk(phone);
    assert.ok(onPhone.streams.broadcast, `the sync answers for the broadcast stream: ${JSON.stringify(Object.keys(onPhone.streams))}`);
    const leaked = syncedMessages(onPhone, "broadcast").filter((m) => old.some((s) => s.id === m.id));
    assert.deepEqual(leaked.map((m) => m.payload), [], "none of the broadcasts from before the first login");
    const got = syncedMessages(onPhone, "broadcast").filter((m) => m.id === fresh.id);
    assert.equal(got.length, 1, "the broadcast sent after the first login arrives, once");
  });
});
