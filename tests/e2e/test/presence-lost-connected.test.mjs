// Presence when SignalR Service's `connected` event is lost (the service retries no upstream call): the
// emulator drops one user's connected events (its faults API). The real client (client/src/pushclient.js)
// says `present` over its new connection, so within the documented bound the user is listed online, holds a
// lease that keeps them there, and everyone is told; and a connection of a revoked session is closed.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import * as signalR from "@microsoft/signalr";
import { PRESENT_METHOD, PRESENT_RETRY_MAX_MS, PushClient } from "../../../client/src/pushclient.js";
import { startSystem, uid, userListHas, waitFor } from "../lib/system.mjs";

const LEASE_SECONDS = 3;
// The periodic check runs every 10 s (docs/DESIGN.md, "Periodic work").
const CHECK_INTERVAL_SECONDS = 10;
// docs/DESIGN.md: a connection is in presence within PRESENT_RETRY_MAX_MS of the app answering; here the app
// answers at once. 2 s of slack for a busy machine.
const BOUND_MS = PRESENT_RETRY_MAX_MS + 2000;

describe("presence when the connected event is lost", () => {
  let sys;
  before(async () => {
    sys = await startSystem({ name: "presence-lost-connected", appEnv: { Presence__LeaseSeconds: String(LEASE_SECONDS) } });
  });
  after(async () => {
    await sys?.clearEmulatorFaults().catch(() => {});
    await sys?.stop();
  });

  /** What the main backend sees of a user: listed online or not, and the live connections of each session. */
  async function presenceOf(userId) {
    const [online, sessions] = await Promise.all([
      sys.api("GET", "/api/online?limit=1000"),
      sys.api("GET", `/api/users/${encodeURIComponent(userId)}/sessions`),
    ]);
    assert.equal(online.status, 200, online.text);
    assert.equal(sessions.status, 200, sessions.text);
    return { online: online.body.users.some((u) => u.userId === userId), connections: sessions.body.sessions.map((s) => s.connections) };
  }

  /** The emulator really swallowed the event (otherwise these tests would prove nothing). */
  async function waitForDrop(droppedBefore) {
    await waitFor(async () => (await sys.emulatorStats()).upstream.dropped > droppedBefore, 10_000, "the emulator to drop the connected event");
  }

  it("the user is listed online, holds a lease and everyone is told, within the bound", async () => {
    const lou = uid("lou");
    const watcher = await sys.connect(await sys.login(uid("watch"), "Watcher", "laptop"));
    await sys.setEmulatorFaults({ dropUpstream: [{ event: "connected", userId: lou }] });
    const { upstream } = await sys.emulatorStats();
    const session = await sys.login(lou, "Lou", "laptop");
    const client = new PushClient({
      baseUrl: sys.apiUrl, userId: lou, sessionToken: session.sessionToken, signalR, storage: null,
      logger: { debug() {}, warn() {}, error() {} },
    });
    try {
      const started = Date.now();
      await client.start();
      await waitForDrop(upstream.dropped);

      await waitFor(async () => (await presenceOf(lou)).online, BOUND_MS, "lou in GET /api/online");
      console.log(`listed online ${Date.now() - started} ms after connecting without a connected event (bound ${PRESENT_RETRY_MAX_MS} ms)`);
      assert.deepEqual(await presenceOf(lou), { online: true, connections: [1] }, "lou's session counts its connection");
      await waitFor(() => watcher.received.update_online_count.some((u) => userListHas(u?.user_list, lou)),
        BOUND_MS, "an update_online_count listing lou at the watcher");

      // The lease is renewed while the connection lives: still online after lease + check interval.
      await sleep((LEASE_SECONDS + CHECK_INTERVAL_SECONDS + 1) * 1000);
      assert.deepEqual(await presenceOf(lou), { online: true, connections: [1] }, "still online after the lease ran out once");
    } finally {
      await client.stop();
      await sys.clearEmulatorFaults();
    }
    await waitFor(async () => !(await presenceOf(lou)).online, (LEASE_SECONDS + CHECK_INTERVAL_SECONDS + 5) * 1000, "lou to leave when the tab closes");
  });

  it("a connection of a session revoked between negotiate and connect is closed, though its connected event is lost", async () => {
    const kim = uid("kim");
    const session = await sys.login(kim, "Kim", "laptop");
    const negotiate = await sys.api("POST", "/api/negotiate?negotiateVersion=1", { auth: session });
    assert.equal(negotiate.status, 200, negotiate.text);
    const revoked = await sys.api("DELETE", `/api/sessions/${session.sessionId}`);
    assert.equal(revoked.status, 204, revoked.text);
    await sys.setEmulatorFaults({ dropUpstream: [{ event: "connected", userId: kim }] });
    const { upstream } = await sys.emulatorStats();

    // What the client does once connected, with the token it got before the revocation.
    const connection = new signalR.HubConnectionBuilder()
      .withUrl(negotiate.body.url, { accessTokenFactory: () => negotiate.body.accessToken })
      .configureLogging(signalR.LogLevel.None)
      .build();
    const redirects = [];
    connection.on("redirect_to_login", (command) => redirects.push(command));
    let closed = false;
    connection.onclose(() => { closed = true; });
    try {
      await connection.start();
      await waitForDrop(upstream.dropped);
      await connection.invoke(PRESENT_METHOD).catch(() => {}); // the app may close it before its answer arrives

      await waitFor(() => closed, BOUND_MS, "the connection to be closed");
      assert.deepEqual(redirects, [{ reason: "session_revoked" }]);
      assert.deepEqual(await presenceOf(kim), { online: false, connections: [] }, "kim is not listed online");
    } finally {
      await connection.stop();
      await sys.clearEmulatorFaults();
    }
  });
});
