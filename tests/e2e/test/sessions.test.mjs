// Sessions. The main backend lists a user's sessions (device, live connections) and
// revokes one; revocation and logout take effect at once: the session's connections are sent to
// the login page and closed, cannot reconnect, and its token is refused, while the user's other
// sessions keep working. Sessions expire.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { HubConnectionBuilder, HubConnectionState, LogLevel } from "@microsoft/signalr";
import { CLIENT_EVENTS, startSystem, uid, waitFor } from "../lib/system.mjs";

describe("sessions", () => {
  let sys;
  let shortSession; // ttlSeconds: 60, created first so the expiry check at the end waits as little as possible
  const shortUser = uid("ttl");
  const extraConnections = [];
  before(async () => {
    sys = await startSystem({ name: "sessions" });
    const res = await sys.api("POST", "/api/login", { body: { userId: shortUser, userName: "Ttl", device: "kiosk", ttlSeconds: 60 } });
    assert.equal(res.status, 201, `login with ttlSeconds 60: ${res.status} ${res.text}`);
    shortSession = res.body;
  });
  after(async () => {
    for (const c of extraConnections) await c.connection.stop().catch(() => {});
    await sys?.stop();
  });

  /**
   * Like sys.connect, but with the client's automatic reconnect on (a browser app would enable it),
   * and recording reconnect attempts.
   */
  async function connectReconnecting(session) {
    const connection = new HubConnectionBuilder()
      .withUrl(`${sys.apiUrl}/api`, { accessTokenFactory: () => session.sessionToken })
      .withAutomaticReconnect([0, 200, 500])
      .configureLogging(LogLevel.None)
      .build();
    const conn = {
      connection, session, userId: session.userId,
      received: Object.fromEntries(CLIENT_EVENTS.map((e) => [e, []])),
      closed: null, reconnecting: 0, reconnected: 0,
      get state() { return connection.state; },
    };
    for (const target of CLIENT_EVENTS) connection.on(target, (arg) => conn.received[target].push(arg));
    connection.onreconnecting(() => { conn.reconnecting++; });
    connection.onreconnected(() => { conn.reconnected++; });
    connection.onclose((error) => { conn.closed = { error: error ?? null }; });
    await connection.start();
    extraConnections.push(conn);
    return conn;
  }

  const listSessions = (userId) => sys.api("GET", `/api/users/${encodeURIComponent(userId)}/sessions`);

  async function sessionsWhen(userId, predicate, what) {
    let last;
    return waitFor(async () => {
      last = await listSessions(userId);
      assert.equal(last.status, 200, last.text);
      return predicate(last.body.sessions) ? last.body.sessions : null;
    }, 10_000, what).catch((e) => { e.message += ` (last: ${last?.text})`; throw e; });
  }

  async function assertRefused(session, what) {
    const negotiate = await sys.api("POST", "/api/negotiate?negotiateVersion=1", { auth: session });
    assert.equal(negotiate.status, 401, `${what}: negotiate ${negotiate.status} ${negotiate.text}`);
    const sync = await sys.sync(session, {});
    assert.equal(sync.status, 401, `${what}: sync ${sync.status} ${sync.text}`);
  }

  it("GET /api/users/{userId}/sessions lists both sessions with device and connection counts", async () => {
    const gus = uid("gus");
    const laptop = await sys.login(gus, "Gus", "laptop");
    const phone = await sys.login(gus, "Gus", "phone");
    await sys.connect(laptop);
    await sys.connect(laptop); // two tabs
    await sys.connect(phone);

    const sessions = await sessionsWhen(gus, (list) => list.reduce((n, s) => n + (s.connections ?? 0), 0) === 3,
      "three connections counted");
    assert.equal(sessions.length, 2, JSON.stringify(sessions));
    const byId = Object.fromEntries(sessions.map((s) => [s.sessionId, s]));
    assert.ok(byId[laptop.sessionId], "the laptop session is listed");
    assert.ok(byId[phone.sessionId], "the phone session is listed");
    assert.equal(byId[laptop.sessionId].device, "laptop");
    assert.equal(byId[phone.sessionId].device, "phone");
    assert.equal(byId[laptop.sessionId].connections, 2);
    assert.equal(byId[phone.sessionId].connections, 1);
    for (const s of sessions) {
      assert.ok(!Number.isNaN(Date.parse(s.createdAt)), `createdAt ${s.createdAt}`);
      assert.ok(Date.parse(s.expiresAt) > Date.now(), `expiresAt ${s.expiresAt} is in the future`);
      assert.ok(!("sessionToken" in s), "the list does not hand out tokens");
    }
  });

  it("DELETE /api/sessions/{id}: its connection is sent to login and closed, cannot reconnect, its token is refused; the other session keeps working", async () => {
    const hal = uid("hal");
    const revoked = await sys.login(hal, "Hal", "laptop");
    const kept = await sys.login(hal, "Hal", "phone");
    const victim = await connectReconnecting(revoked);
    const keeper = await sys.connect(kept);
    await sessionsWhen(hal, (list) => list.reduce((n, s) => n + (s.connections ?? 0), 0) === 2, "both connections counted");

    const res = await sys.api("DELETE", `/api/sessions/${encodeURIComponent(revoked.sessionId)}`);
    assert.equal(res.status, 204, res.text);
    await assertRefused(revoked, "the revoked session's token, right after the 204");

    const redirect = await waitFor(() => victim.received.redirect_to_login[0], 10_000, "redirect_to_login at the revoked session");
    assert.deepEqual(redirect, { reason: "session_revoked" });
    await waitFor(() => victim.state === HubConnectionState.Disconnected && victim.closed, 15_000,
      "the revoked connection to end Disconnected (its reconnect attempts, if any, fail)");
    assert.equal(victim.reconnected, 0, "it never reconnected");
    if (victim.reconnecting) console.log(`revoked connection tried to reconnect (${victim.reconnecting}x) and was refused`);
    assert.equal(victim.received.redirect_to_login.length, 1, "one redirect_to_login");

    await sleep(300);
    assert.equal(keeper.connected, true, "the other session's connection stays up");
    assert.deepEqual(keeper.received.redirect_to_login, [], "the other session is not redirected");
    const sync = await sys.sync(kept, {});
    assert.equal(sync.status, 200, `the other session still syncs: ${sync.text}`);
    const sent = await sys.sendToUser(hal, { after: "revocation" });
    assert.equal(sent.status, 202, sent.text);
    await waitFor(() => keeper.received.message.find((m) => m.id === sent.body.id), 10_000,
      "a message after the revocation at the other session");

    const sessions = await sessionsWhen(hal, (list) => list.length === 1, "only the kept session listed");
    assert.equal(sessions[0].sessionId, kept.sessionId);
    assert.equal(sessions[0].connections, 1);
  });

  it("POST /api/logout sends that session's connections to login (logged_out) and ends the session", async () => {
    const ivy = uid("ivy");
    const leaving = await sys.login(ivy, "Ivy", "laptop");
    const staying = await sys.login(ivy, "Ivy", "phone");
    const tab1 = await sys.connect(leaving);
    const tab2 = await sys.connect(leaving);
    const phone = await sys.connect(staying);
    await sessionsWhen(ivy, (list) => list.reduce((n, s) => n + (s.connections ?? 0), 0) === 3, "three connections counted");

    const res = await sys.api("POST", "/api/logout", { auth: leaving });
    assert.equal(res.status, 204, res.text);
    await assertRefused(leaving, "the logged-out session's token");

    for (const [name, conn] of [["tab 1", tab1], ["tab 2", tab2]]) {
      const redirect = await waitFor(() => conn.received.redirect_to_login[0], 10_000, `redirect_to_login at ${name}`);
      assert.deepEqual(redirect, { reason: "logged_out" });
      await waitFor(() => conn.closed, 10_000, `${name} to be closed`);
    }
    await sleep(300);
    assert.equal(phone.connected, true);
    assert.deepEqual(phone.received.redirect_to_login, [], "the other session is not logged out");
    assert.equal((await sys.sync(staying, {})).status, 200);
  });

  it("ttlSeconds: 60 is accepted, below the minimum is 400, and an expired session's token is refused", async () => {
    assert.equal(shortSession.userId, shortUser);
    const ttl = Date.parse(shortSession.expiresAt) - Date.now();
    assert.ok(ttl <= 60_000 && ttl > 0, `expiresAt ${shortSession.expiresAt} is at most 60 s ahead`);

    for (const ttlSeconds of [59, 0, -5]) {
      const res = await sys.api("POST", "/api/login", { body: { userId: uid("ttl"), userName: "T", ttlSeconds } });
      assert.equal(res.status, 400, `ttlSeconds ${ttlSeconds}: ${res.status} ${res.text}`);
      assert.match(res.headers.get("content-type") ?? "", /application\/problem\+json/);
    }

    // Before expiry the short session works ...
    const early = await sys.sync(shortSession, {});
    assert.equal(early.status, 200, early.text);
    // ... and after it, it is refused (wait out the rest of its 60 s; the file's other tests used most of it).
    const wait = Date.parse(shortSession.expiresAt) - Date.now() + 1100;
    console.log(`waiting ${Math.max(0, wait)} ms for the 60 s session to expire`);
    if (wait > 0) await sleep(wait);
    await assertRefused(shortSession, "the expired session's token");
  });
});
