// Presence stays true when SignalR Service's `disconnected` event is lost (an instance or
// the service crashed): the user still leaves the online list within lease + one check interval,
// and everyone is told. A user who stays connected longer than the lease stays online.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { startSystem, uid, userListHas, waitFor } from "../lib/system.mjs";

const LEASE_SECONDS = 3;
// The periodic check runs every 10 s (PeriodicCheck.Schedule); with a lease this short it reads at every tick.
const CHECK_INTERVAL_SECONDS = 10;

describe("presence when a disconnected event is lost", () => {
  let sys;
  before(async () => {
    sys = await startSystem({ name: "presence-lease", appEnv: { Presence__LeaseSeconds: String(LEASE_SECONDS) } });
  });
  after(async () => {
    await sys?.clearEmulatorFaults().catch(() => {});
    await sys?.stop();
  });

  async function onlineIds() {
    const res = await sys.api("GET", "/api/online?limit=1000");
    assert.equal(res.status, 200, res.text);
    return res.body.users.map((u) => u.userId);
  }

  it("the user leaves GET /api/online within lease + check interval, and others are told", async () => {
    const lou = uid("lou");
    const mo = uid("mo");
    const watcher = await sys.connect(await sys.login(mo, "Mo", "laptop"));
    const louConn = await sys.connect(await sys.login(lou, "Lou", "laptop"));
    await waitFor(() => watcher.received.update_online_count.some((u) => userListHas(u?.user_list, lou)),
      10_000, "the watcher told that lou is online");
    assert.ok((await onlineIds()).includes(lou), "lou is online");

    await sys.setEmulatorFaults({ dropUpstream: [{ event: "disconnected", userId: lou }] });
    const statsBefore = await sys.emulatorStats();
    const updatesBefore = watcher.received.update_online_count.length;
    const stoppedAt = Date.now();
    await louConn.stop();

    // The emulator really swallowed the event (otherwise this test would prove nothing).
    await waitFor(async () => (await sys.emulatorStats()).upstream.dropped > statsBefore.upstream.dropped,
      5_000, "the emulator to drop lou's disconnected event");

    await waitFor(async () => !(await onlineIds()).includes(lou), (LEASE_SECONDS + CHECK_INTERVAL_SECONDS + 5) * 1000, "lou to leave GET /api/online");
    const elapsed = (Date.now() - stoppedAt) / 1000;
    const bound = LEASE_SECONDS + CHECK_INTERVAL_SECONDS;
    console.log(`lost disconnect noticed after ${elapsed.toFixed(2)} s (documented bound: lease ${LEASE_SECONDS} s + check ${CHECK_INTERVAL_SECONDS.toFixed(2)} s = ${bound.toFixed(2)} s)`);
    // The lease was taken at connect time, so the bound counted from the stop is generous; allow
    // 2 s for HTTP and scheduling on a busy machine.
    assert.ok(elapsed <= bound + 2, `noticed after ${elapsed.toFixed(2)} s, bound ${bound.toFixed(2)} s (+2 s slack)`);

    const update = await waitFor(() => watcher.received.update_online_count.slice(updatesBefore)
      .find((u) => !userListHas(u?.user_list, lou)), 10_000, "an update_online_count without lou");
    assert.ok(userListHas(update.user_list, mo), "the update still lists the watcher");

    const sessions = await sys.api("GET", `/api/users/${encodeURIComponent(lou)}/sessions`);
    assert.equal(sessions.status, 200, sessions.text);
    assert.deepEqual(sessions.body.sessions.map((s) => s.connections), [0], "lou's session counts no connection");
  });

  it("a lost disconnect of one of two connections removes only that connection; the user stays online", async () => {
    const ora = uid("ora");
    const session = await sys.login(ora, "Ora", "laptop");
    const staying = await sys.connect(session);
    const lost = await sys.connect(session);
    const listConnections = async () => {
      const res = await sys.api("GET", `/api/users/${encodeURIComponent(ora)}/sessions`);
      assert.equal(res.status, 200, res.text);
      return res.body.sessions[0]?.connections;
    };
    await waitFor(async () => (await listConnections()) === 2, 10_000, "two connections counted");

    await sys.setEmulatorFaults({ dropUpstream: [{ event: "disconnected", userId: ora }] });
    try {
      await lost.stop();
      await waitFor(async () => (await listConnections()) === 1, (LEASE_SECONDS + CHECK_INTERVAL_SECONDS + 5) * 1000, "the silently lost connection to be dropped");
    } finally {
      await sys.clearEmulatorFaults();
    }
    assert.ok((await onlineIds()).includes(ora), "ora is still online with her other connection");
    assert.equal(staying.connected, true);
    const sent = await sys.sendToUser(ora, { hi: 1 });
    await waitFor(() => staying.received.message.find((m) => m.id === sent.body.id), 10_000, "a message at the live connection");
  });

  it("a user who stays connected for longer than the lease stays online (the lease is renewed)", async () => {
    const nia = uid("nia");
    const conn = await sys.connect(await sys.login(nia, "Nia", "laptop"));
    await waitFor(async () => (await onlineIds()).includes(nia), 10_000, "nia online");

    // Negative check over two and a half lease periods: she must never drop out.
    const until = Date.now() + LEASE_SECONDS * 2500;
    while (Date.now() < until) {
      assert.ok((await onlineIds()).includes(nia), "nia is still online while connected");
      await sleep(500);
    }
    assert.equal(conn.connected, true);
    const sent = await sys.sendToUser(nia, { still: "here" });
    assert.equal(sent.status, 202, sent.text);
    await waitFor(() => conn.received.message.find((m) => m.id === sent.body.id), 10_000, "a message at nia's connection");
  });
});
