import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { EVENT_NAMES, PRESENT_METHOD, PRESENT_RETRY_MAX_MS, PushClient, PushClientError, cursorStorageKey } from "../src/pushclient.js";
import { FakeStorage, FakeSyncServer, MemoryLogger, fakeSignalR, settle } from "./fakes.js";

const BASE_URL = "https://push.example";

/**
 * A client wired to fakes, with every event recorded.
 * @param {{storage?: FakeStorage, server?: FakeSyncServer, signalR?: ReturnType<typeof fakeSignalR>, options?: object}} [parts]
 */
function setup({ storage = new FakeStorage(), server = new FakeSyncServer(), signalR = fakeSignalR(), options = {} } = {}) {
  const logger = new MemoryLogger();
  const client = new PushClient({
    baseUrl: `${BASE_URL}/`,
    sessionToken: "token-1",
    userId: "u1",
    storage,
    signalR,
    fetch: server.fetch,
    logger,
    retryDelay: () => 0,
    ...options,
  });
  /** @type {[string, any][]} */
  const events = [];
  for (const name of EVENT_NAMES) client.on(name, (value) => events.push([name, value]));
  const connection = signalR.connections.at(-1);
  assert.ok(connection);
  return { client, server, storage, signalR, connection, events, logger };
}

/** @param {[string, any][]} events @returns {string[]} message ids, in delivery order */
const deliveredIds = (events) => events.filter(([name]) => name === "message" || name === "room-message").map(([, m]) => m.id);
/** @param {[string, any][]} events @param {string} name */
const valuesOf = (events, name) => events.filter(([n]) => n === name).map(([, value]) => value);

describe("PushClient: connecting", () => {
  it("connects through {baseUrl}/api with the session token and reports its state", async () => {
    const { client, connection, events } = setup();
    await client.start();
    assert.equal(connection.url, `${BASE_URL}/api`);
    assert.equal(await connection.options.accessTokenFactory(), "token-1");
    assert.deepEqual(valuesOf(events, "state"), ["connecting", "connected"]);
    assert.equal(client.state, "connected");
  });

  it("asks getSessionToken for the token each time", async () => {
    let calls = 0;
    const { client, connection, server } = setup({ options: { sessionToken: undefined, getSessionToken: async () => `token-${++calls}` } });
    await client.start();
    assert.equal(await connection.options.accessTokenFactory(), `token-${calls}`);
    assert.match(server.requests[0].headers.Authorization, /^Bearer token-\d$/);
  });

  it("keeps retrying an initial start that fails", async () => {
    const signalR = fakeSignalR();
    const { client, connection, events } = setup({ signalR });
    connection.startFailures.push(new Error("down"), new Error("still down"));
    await client.start();
    assert.equal(connection.startCalls, 3);
    assert.deepEqual(valuesOf(events, "state"), ["connecting", "connected"]);
  });

  it("gives SignalR a reconnect policy that never gives up while running, and stops it after stop()", async () => {
    const { client, connection } = setup({ options: { retryDelay: undefined } });
    await client.start();
    for (const previousRetryCount of [0, 1, 5, 100, 10000]) {
      const delay = connection.policy.nextRetryDelayInMilliseconds({ previousRetryCount, elapsedMilliseconds: 0 });
      assert.ok(delay >= 0 && delay <= 30000, `delay ${delay} for retry ${previousRetryCount}`);
    }
    await client.stop();
    assert.equal(connection.policy.nextRetryDelayInMilliseconds({ previousRetryCount: 0, elapsedMilliseconds: 0 }), null);
  });

  it("syncs again after SignalR reconnects, picking up what was missed", async () => {
    const { client, connection, server, events } = setup();
    await client.start();
    server.append("user:u1");
    connection.dropAndReconnect();
    await settle();
    assert.deepEqual(valuesOf(events, "state"), ["connecting", "connected", "reconnecting", "connected"]);
    assert.deepEqual(deliveredIds(events), ["user:u1#1"]);
    assert.equal(server.requests.length, 2);
  });

  it("starts over when the server closes the connection without allowing a reconnect", async () => {
    const { client, connection, events } = setup();
    await client.start();
    connection.closeFromServer();
    await settle();
    assert.equal(connection.startCalls, 2);
    assert.deepEqual(valuesOf(events, "state"), ["connecting", "connected", "reconnecting", "connected"]);
  });

  it("stop() disconnects, reports it, and does not restart", async () => {
    const { client, connection, events } = setup();
    await client.start();
    await client.stop();
    await settle();
    assert.equal(connection.state, "Disconnected");
    assert.equal(connection.startCalls, 1);
    assert.equal(valuesOf(events, "state").at(-1), "disconnected");
  });

  it("can start again after stop()", async () => {
    const { client, connection } = setup();
    await client.start();
    await client.stop();
    await client.start();
    assert.equal(connection.state, "Connected");
    assert.equal(connection.startCalls, 2);
  });

  it("needs a userId, a token source and a SignalR module", () => {
    const signalR = fakeSignalR();
    assert.throws(() => new PushClient(/** @type {any} */ ({ sessionToken: "t", signalR })), /userId/);
    assert.throws(() => new PushClient(/** @type {any} */ ({ userId: "u1", signalR })), /getSessionToken/);
    assert.throws(() => new PushClient({ userId: "u1", sessionToken: "t", storage: null }), /signalr/i);
  });

  it("uses globalThis.signalR when no module is passed", () => {
    const signalR = fakeSignalR();
    /** @type {any} */ (globalThis).signalR = signalR;
    try {
      new PushClient({ userId: "u1", sessionToken: "t", storage: null });
      assert.equal(signalR.connections.length, 1);
    } finally {
      delete (/** @type {any} */ (globalThis).signalR);
    }
  });
});

describe("PushClient: presence (the connection confirms itself)", () => {
  it("invokes present over each new connection: after start and after every reconnect", async () => {
    const { client, connection } = setup();
    await client.start();
    await settle();
    connection.dropAndReconnect();
    await settle();
    assert.deepEqual(connection.invocations, [
      { method: PRESENT_METHOD, connectionId: "connection-1" },
      { method: PRESENT_METHOD, connectionId: "connection-1-reconnected" },
    ]);
  });

  it("tries present again until PushFunctions answers, waiting at most PRESENT_RETRY_MAX_MS between tries", async () => {
    /** @type {number[]} */
    const waits = [];
    const { client, connection } = setup({ options: { retryDelay: (/** @type {number} */ attempt) => { waits.push(attempt); return attempt === 0 ? 0 : 60_000; } } });
    connection.invokeFailures.push(new Error("Invocation failed, status code 503"));
    await client.start();
    await settle();
    assert.equal(connection.invocations.length, 2, "tried again after the failed one");
    assert.deepEqual(waits, [0]);
    assert.ok(PRESENT_RETRY_MAX_MS <= 10_000, "the bound documented in docs/DESIGN.md");
  });

  it("stops trying when the connection is gone or the client stopped", async () => {
    const { client, connection } = setup();
    connection.invokeFailures.push(new Error("failed"), new Error("failed"), new Error("failed"));
    await client.start();
    await client.stop();
    await settle();
    assert.ok(connection.invocations.length <= 1, `tried ${connection.invocations.length} times after stop()`);
  });

  it("does not hold up start() or the sync while present has no answer", async () => {
    const { client, connection, server } = setup();
    connection.invokeFailures.push("hang");
    await client.start();
    assert.equal(client.state, "connected");
    assert.equal(server.requests.length, 1);
    await client.stop();
  });
});

describe("PushClient: delivery", () => {
  it("syncs on connect with a bearer token and delivers what it returns, in order", async () => {
    const server = new FakeSyncServer(["user:u1", "broadcast", "room:r1"]);
    server.append("user:u1");
    server.append("room:r1");
    server.append("user:u1");
    const { client, events } = setup({ server });
    await client.start();
    assert.deepEqual(server.requests[0], {
      url: `${BASE_URL}/api/sync`,
      headers: { "Content-Type": "application/json", Authorization: "Bearer token-1" },
      cursors: {},
    });
    assert.deepEqual(deliveredIds(events), ["user:u1#1", "user:u1#2", "room:r1#1"]);
    assert.equal(valuesOf(events, "room-message")[0].roomId, "r1");
  });

  it("delivers live messages in order and drops duplicates", async () => {
    const { client, connection, server, events } = setup();
    await client.start();
    const first = server.append("user:u1");
    const second = server.append("broadcast");
    connection.push("message", first);
    connection.push("message", second);
    connection.push("message", first);
    connection.push("message", second);
    await settle();
    assert.deepEqual(deliveredIds(events), ["user:u1#1", "broadcast#1"]);
    assert.equal(server.requests.length, 1, "no gap, no extra sync");
  });

  it("routes room_message to room-message", async () => {
    const server = new FakeSyncServer(["user:u1", "broadcast", "room:r1"]);
    const { client, connection, events } = setup({ server });
    await client.start();
    connection.push("room_message", server.append("room:r1", "hi"));
    assert.deepEqual(valuesOf(events, "room-message").map((m) => m.payload), ["hi"]);
  });

  it("fills a gap in live messages with a sync, delivering each message once and in order", async () => {
    const { client, connection, server, events } = setup();
    await client.start();
    server.append("user:u1");
    const lost = server.append("user:u1");
    const third = server.append("user:u1");
    connection.push("message", third); // 1 and 2 never arrive live
    await settle();
    connection.push("message", lost); // late duplicate of a synced message
    await settle();
    assert.deepEqual(deliveredIds(events), ["user:u1#1", "user:u1#2", "user:u1#3"]);
    assert.deepEqual(server.requests[1].cursors, { "user:u1": 0, broadcast: 0 });
  });

  it("loses and duplicates nothing when live messages race a sync in flight", async () => {
    const { client, connection, server, events } = setup();
    await client.start();
    const m1 = server.append("user:u1");
    const m2 = server.append("user:u1");
    const release = server.hold();
    connection.push("message", m2); // gap: sync #2 starts, its answer holds 1..2
    await settle();
    const m3 = server.append("user:u1");
    const m4 = server.append("user:u1");
    const m5 = server.append("user:u1");
    connection.push("message", m4); // another gap while sync #2 is in flight: coalesced
    connection.push("message", m3);
    connection.push("message", m5);
    connection.push("message", m1);
    await settle();
    assert.deepEqual(deliveredIds(events), ["user:u1#1", "user:u1#2", "user:u1#3", "user:u1#4", "user:u1#5"], "m1 filled the gap live");
    release();
    await client.sync();
    assert.deepEqual(deliveredIds(events), ["user:u1#1", "user:u1#2", "user:u1#3", "user:u1#4", "user:u1#5"]);
    assert.equal(server.maxInFlight, 1, "one sync in flight at a time");
    assert.ok(server.requests.length <= 3, `coalesced into at most one more sync, got ${server.requests.length}`);
  });

  it("coalesces sync requests made while one is in flight into a single further round", async () => {
    const { client, server } = setup();
    await client.start();
    const release = server.hold();
    const runs = [client.sync()];
    await settle(); // now in flight
    runs.push(client.sync(), client.sync(), client.sync());
    release();
    await Promise.all(runs);
    assert.equal(server.requests.length, 3, "the connect sync, one in flight, one coalesced");
  });

  it("syncs for a stream it has never seen before delivering its first live message", async () => {
    const { client, connection, server, events } = setup();
    await client.start();
    server.addStream("room:r9"); // joined after the first sync
    server.append("room:r9");
    connection.push("room_message", server.append("room:r9"));
    await settle();
    assert.deepEqual(deliveredIds(events), ["room:r9#1", "room:r9#2"]);
    assert.equal(server.requests.length, 2);
  });

  it("keeps syncing while a stream has more pages", async () => {
    const server = new FakeSyncServer();
    server.pageSize = 2;
    for (let i = 0; i < 5; i += 1) server.append("user:u1");
    const { client, events } = setup({ server });
    await client.start();
    assert.deepEqual(deliveredIds(events), ["user:u1#1", "user:u1#2", "user:u1#3", "user:u1#4", "user:u1#5"]);
    assert.deepEqual(server.requests.map((r) => r.cursors["user:u1"]), [undefined, 2, 4]);
  });

  it("emits recovery-lost before delivering what is left when history was trimmed", async () => {
    const storage = new FakeStorage();
    storage.setItem(cursorStorageKey("u1"), JSON.stringify({ "user:u1": 1, broadcast: 0 }));
    const server = new FakeSyncServer();
    for (let i = 0; i < 6; i += 1) server.append("user:u1");
    server.trim("user:u1", 4);
    const { client, events } = setup({ server, storage });
    await client.start();
    const relevant = events.filter(([name]) => name === "recovery-lost" || name === "message");
    assert.deepEqual(relevant.map(([name, value]) => (name === "message" ? value.id : `lost ${value.stream}`)), [
      "lost user:u1",
      "user:u1#5",
      "user:u1#6",
    ]);
  });

  it("emits online with the count and the list", async () => {
    const { client, connection, events } = setup();
    await client.start();
    connection.push("update_online_count", { online_count: 2, user_list: ["u1", "u2"] });
    assert.deepEqual(valuesOf(events, "online"), [{ onlineCount: 2, userList: ["u1", "u2"] }]);
  });

  it("reports a live message without stream or seq as an error instead of delivering it", async () => {
    const { client, connection, events } = setup();
    await client.start();
    connection.push("message", { id: "x", payload: 1 });
    assert.deepEqual(deliveredIds(events), []);
    assert.ok(valuesOf(events, "error")[0] instanceof PushClientError);
  });
});

/**
 * The seq of each stream in stored cursors (stored as `{seq, epoch, recent, floor}`).
 * @param {FakeStorage} storage
 * @param {string} key
 */
function storedSeqs(storage, key) {
  const stored = JSON.parse(/** @type {string} */ (storage.getItem(key)));
  return Object.fromEntries(Object.entries(stored).map(([stream, value]) => [stream, /** @type {any} */ (value).seq]));
}

describe("PushClient: cursors across reloads", () => {
  it("stores cursors per user and does not redeliver after a reload", async () => {
    const storage = new FakeStorage();
    const server = new FakeSyncServer();
    server.append("user:u1");
    server.append("broadcast");
    const first = setup({ storage, server });
    await first.client.start();
    first.connection.push("message", server.append("user:u1"));
    assert.deepEqual(storedSeqs(storage, "pushclient:v1:u1:cursors"), { "user:u1": 2, broadcast: 1 });
    await first.client.stop();

    server.append("broadcast");
    const reloaded = setup({ storage, server });
    await reloaded.client.start();
    assert.deepEqual(server.requests.at(-1)?.cursors, { "user:u1": 2, broadcast: 1 });
    assert.deepEqual(deliveredIds(reloaded.events), ["broadcast#2"]);
  });

  it("keeps working in memory when storage throws", async () => {
    const storage = new FakeStorage();
    storage.setItem = () => {
      throw new Error("QuotaExceededError");
    };
    const server = new FakeSyncServer();
    server.append("user:u1");
    const { client, events, logger } = setup({ storage, server });
    await client.start();
    assert.deepEqual(deliveredIds(events), ["user:u1#1"]);
    assert.ok(logger.lines.some(([level]) => level === "warn"));
  });

  it("works without storage", async () => {
    const server = new FakeSyncServer();
    server.append("user:u1");
    const { client, events } = setup({ server, options: { storage: null } });
    await client.start();
    assert.deepEqual(deliveredIds(events), ["user:u1#1"]);
  });
});

describe("PushClient: end of session", () => {
  it("on redirect_to_login stops for good, clears the user's cursors, and tells the app why", async () => {
    const storage = new FakeStorage();
    storage.setItem("pushclient:v1:u2:cursors", "{}"); // another user's: left alone
    const server = new FakeSyncServer();
    server.append("user:u1");
    const { client, connection, events } = setup({ storage, server });
    await client.start();
    assert.ok(storage.getItem("pushclient:v1:u1:cursors"));

    connection.push("redirect_to_login", { reason: "account_deleted" });
    await settle();
    assert.deepEqual(valuesOf(events, "redirect-to-login"), [{ reason: "account_deleted" }]);
    assert.equal(storage.getItem("pushclient:v1:u1:cursors"), null);
    assert.equal(storage.getItem("pushclient:v1:u2:cursors"), "{}");
    assert.equal(connection.state, "Disconnected");
    assert.equal(client.state, "disconnected");
    assert.equal(connection.policy.nextRetryDelayInMilliseconds({ previousRetryCount: 0 }), null);

    connection.push("message", server.append("user:u1"));
    await client.start();
    await settle();
    assert.equal(connection.startCalls, 1, "does not reconnect, even when asked");
    assert.deepEqual(deliveredIds(events), ["user:u1#1"]);
    assert.equal(storage.getItem("pushclient:v1:u1:cursors"), null);
  });

  it("treats a 401 from sync as an invalid session", async () => {
    const storage = new FakeStorage();
    const server = new FakeSyncServer();
    const { client, connection, events } = setup({ storage, server });
    await client.start();
    server.statuses.push(401);
    await client.sync();
    await settle();
    assert.deepEqual(valuesOf(events, "redirect-to-login"), [{ reason: "session_invalid" }]);
    assert.equal(storage.getItem("pushclient:v1:u1:cursors"), null);
    assert.equal(connection.state, "Disconnected");
    assert.deepEqual(valuesOf(events, "error"), []);
  });

  it("treats a 401 from the first sync as an invalid session too", async () => {
    const server = new FakeSyncServer();
    server.statuses.push(401);
    const { client, events } = setup({ server });
    await client.start();
    await settle();
    assert.deepEqual(valuesOf(events, "redirect-to-login"), [{ reason: "session_invalid" }]);
  });
});

describe("PushClient: sync failures", () => {
  it("reports a failed sync as an error and retries it", async () => {
    const server = new FakeSyncServer();
    server.append("user:u1");
    server.statuses.push(500);
    const { client, events } = setup({ server });
    const delivered = new Promise((resolve) => client.on("message", resolve));
    await client.start();
    await delivered; // by the retry
    const [error] = valuesOf(events, "error");
    assert.ok(error instanceof PushClientError);
    assert.equal(error.status, 500);
    assert.deepEqual(deliveredIds(events), ["user:u1#1"]);
  });

  it("after leaving a room (403), syncs without room cursors and forgets the room", async () => {
    const storage = new FakeStorage();
    const server = new FakeSyncServer(["user:u1", "broadcast", "room:a", "room:b"]);
    server.append("room:a");
    server.append("room:b");
    const { client, events } = setup({ storage, server });
    await client.start();
    server.removeStream("room:a");
    server.append("room:b");
    await client.sync();
    assert.deepEqual(server.requests.at(-2)?.cursors, { "user:u1": 0, broadcast: 0, "room:a": 1, "room:b": 1 });
    assert.deepEqual(server.requests.at(-1)?.cursors, { "user:u1": 0, broadcast: 0 });
    assert.deepEqual(deliveredIds(events), ["room:a#1", "room:b#1", "room:b#2"]);
    assert.deepEqual(storedSeqs(storage, cursorStorageKey("u1")), { "user:u1": 0, broadcast: 0, "room:b": 2 });
    assert.deepEqual(valuesOf(events, "error"), []);
  });
});

describe("PushClient: when Redis loses data (epochs)", () => {
  /** A user whose own stream has an epoch and who received seq 1..3 of it. */
  async function receivedThree() {
    const server = new FakeSyncServer([]);
    server.addStream("user:u1", "e1");
    server.addStream("broadcast", "e1");
    const harness = setup({ server });
    await harness.client.start();
    for (let i = 0; i < 3; i += 1) harness.connection.push("message", server.append("user:u1"));
    assert.equal(deliveredIds(harness.events).length, 3);
    return harness;
  }

  it("Redis lost everything (new epoch) while connected: reports the stream lost, then delivers the new messages once, in order", async () => {
    const { server, connection, events } = await receivedThree();
    server.wipe("e2");
    const first = server.append("user:u1");
    const second = server.append("user:u1");
    connection.push("message", first);
    connection.push("message", second);
    connection.push("message", first);
    await settle();
    const after = events.slice(events.findIndex(([name]) => name === "recovery-lost"));
    // The new epoch's seq 1 is delivered at once; the sync it asks for finds that broadcast began again too.
    assert.deepEqual(after.filter(([name]) => name === "message" || name === "recovery-lost").map(([name, value]) => (name === "message" ? value.id : `${name} ${value.stream}`)),
      ["recovery-lost user:u1", first.id, second.id, "recovery-lost broadcast"]);
  });

  it("Redis lost everything and its sessions: the next sync's 401 sends the user to the login page", async () => {
    const { client, server, connection, events } = await receivedThree();
    server.wipe("e2");
    server.statuses.push(401);
    server.append("user:u1");
    connection.push("message", server.append("user:u1")); // seq 2 of the new epoch: needs a sync
    await settle();
    assert.deepEqual(valuesOf(events, "redirect-to-login"), [{ reason: "session_invalid" }]);
    assert.equal(client.state, "disconnected");
  });

  it("Redis lost its newest writes: every new message at a reused seq is delivered once, in order", async () => {
    const { server, connection, events } = await receivedThree();
    const before = deliveredIds(events);
    server.rewind("user:u1", 2);
    const fresh = [server.append("user:u1"), server.append("user:u1"), server.append("user:u1")];
    assert.deepEqual(fresh.map((m) => m.seq), [2, 3, 4]);
    for (const m of fresh) connection.push("message", m);
    await settle();
    assert.deepEqual(deliveredIds(events), [...before, ...fresh.map((m) => m.id)]);
    assert.deepEqual(valuesOf(events, "recovery-lost"), [{ stream: "user:u1" }]);
  });

  it("Redis lost its newest writes and the live pushes of the new ones: the reconnect sync still finds them", async () => {
    const { server, connection, events } = await receivedThree();
    const before = deliveredIds(events);
    server.rewind("user:u1", 2);
    const fresh = [server.append("user:u1"), server.append("user:u1"), server.append("user:u1")];
    connection.dropAndReconnect();
    await settle();
    assert.deepEqual(deliveredIds(events), [...before, ...fresh.map((m) => m.id)]);
    assert.deepEqual(valuesOf(events, "recovery-lost"), [{ stream: "user:u1" }]);
  });
});

describe("PushClient: events", () => {
  it("on() returns an unsubscribe function", async () => {
    const server = new FakeSyncServer();
    server.append("user:u1");
    const { client, connection } = setup({ server });
    /** @type {string[]} */
    const seen = [];
    const unsubscribe = client.on("message", (m) => seen.push(m.id));
    await client.start();
    unsubscribe();
    connection.push("message", server.append("user:u1"));
    assert.deepEqual(seen, ["user:u1#1"]);
  });

  it("on() refuses an unknown event name", () => {
    const { client } = setup();
    assert.throws(() => client.on(/** @type {any} */ ("room_message"), () => {}), /Unknown PushClient event 'room_message'/);
  });

  it("a throwing handler does not stop delivery; its error is reported", async () => {
    const server = new FakeSyncServer();
    server.append("user:u1");
    server.append("user:u1");
    const { client, events } = setup({ server });
    client.on("message", () => {
      throw new Error("app bug");
    });
    await client.start();
    assert.deepEqual(deliveredIds(events), ["user:u1#1", "user:u1#2"]);
    const errors = valuesOf(events, "error");
    assert.equal(errors.length, 2);
    assert.equal(errors[0].cause.message, "app bug");
  });
});
