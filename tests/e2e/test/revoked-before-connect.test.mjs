// A session revoked after its browser negotiated but before it connected: SignalR Service still accepts the
// connection (its access token is valid for its hour), so the app must close it as it arrives, telling the browser
// to sign in again, and never count the user online.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { HubConnectionBuilder, LogLevel } from "@microsoft/signalr";
import { CLIENT_EVENTS, startSystem, uid, waitFor } from "../lib/system.mjs";

describe("a session revoked between negotiate and connect", () => {
  let sys;
  const connections = [];
  before(async () => { sys = await startSystem({ name: "revoked-before-connect" }); });
  after(async () => {
    for (const connection of connections) await connection.stop().catch(() => {});
    await sys?.stop();
  });

  /** Connects to SignalR Service with a negotiate answer already in hand, as a browser does after the app's negotiate. */
  async function connectWith({ url, accessToken }) {
    const connection = new HubConnectionBuilder()
      .withUrl(url, { accessTokenFactory: () => accessToken })
      .configureLogging(LogLevel.None)
      .build();
    connections.push(connection);
    const conn = { received: Object.fromEntries(CLIENT_EVENTS.map((e) => [e, []])), closed: null };
    for (const target of CLIENT_EVENTS) connection.on(target, (arg) => conn.received[target].push(arg));
    connection.onclose((error) => { conn.closed = { error: error ?? null }; });
    await connection.start();
    return conn;
  }

  async function negotiate(session) {
    const res = await sys.api("POST", "/api/negotiate?negotiateVersion=1", { auth: session });
    assert.equal(res.status, 200, res.text);
    return res.body;
  }

  const onlineIds = async () => (await sys.api("GET", "/api/online?limit=1000")).body.users.map((u) => u.userId);

  it("its connection is sent to login and closed on arrival; the user is never online", async () => {
    const user = uid("late");
    const session = await sys.login(user, "Late", "laptop");
    const negotiated = await negotiate(session);
    const revoked = await sys.api("DELETE", `/api/sessions/${encodeURIComponent(session.sessionId)}`);
    assert.equal(revoked.status, 204, revoked.text);

    const answered = await sys.upstreamEventsAnswered();
    const conn = await connectWith(negotiated);
    const redirect = await waitFor(() => conn.received.redirect_to_login[0], 10_000, "redirect_to_login at the late connection");
    assert.deepEqual(redirect, { reason: "session_revoked" });
    await waitFor(() => conn.closed, 10_000, "the late connection to be closed");
    await waitFor(async () => (await sys.upstreamEventsAnswered()) >= answered + 1, 10_000, "its connected event answered");
    assert.ok(!(await onlineIds()).includes(user), "the user of a revoked session is not online");
    const sessions = await sys.api("GET", `/api/users/${encodeURIComponent(user)}/sessions`);
    assert.deepEqual(sessions.body.sessions, [], "no session left");
  });

  it("the user's other session, negotiated the same way, keeps its connection", async () => {
    const user = uid("kept");
    const revokedSession = await sys.login(user, "Kept", "laptop");
    const keptSession = await sys.login(user, "Kept", "phone");
    const [early, kept] = [await negotiate(revokedSession), await negotiate(keptSession)];
    assert.equal((await sys.api("DELETE", `/api/sessions/${encodeURIComponent(revokedSession.sessionId)}`)).status, 204);

    const refused = await connectWith(early);
    const stays = await connectWith(kept);
    await waitFor(() => refused.closed, 10_000, "the revoked session's connection to be closed");
    await waitFor(async () => (await onlineIds()).includes(user), 10_000, "the user online through the kept session");
    const sent = await sys.sendToUser(user, { still: "here" });
    assert.equal(sent.status, 202, sent.text);
    await waitFor(() => stays.received.message.some((m) => m.id === sent.body.id), 10_000, "a message at the kept connection");
    assert.equal(stays.closed, null, "the kept connection is open");
    assert.deepEqual(stays.received.redirect_to_login, [], "the kept session is not sent to login");
  });
});
