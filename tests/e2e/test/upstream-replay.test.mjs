// An upstream event is believed only as far as it can be checked. SignalR Service signs only the
// connection id (X-ASRS-Signature), so an attacker who captured one signed event can replay it with other
// X-ASRS-User-Id / claims / event headers. A connection id belongs to the user and session of its first
// connected event; a disconnected event for a connection the service still has changes nothing; the hub in
// the path must match exactly.
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { http, startSystem, uid, waitFor } from "../lib/system.mjs";

describe("replayed upstream events", () => {
  let sys;
  before(async () => { sys = await startSystem({ name: "upstream-replay" }); });
  after(async () => { await sys?.stop(); });

  /** An upstream event for `connectionId`, signed as the service signs it, with any other headers. */
  function replay(event, { connectionId, userId, sessionId, hub = "push" }) {
    const signature = "sha256=" + createHmac("sha256", sys.accessKey).update(connectionId).digest("hex");
    return http("POST", `${sys.apiUrl}/api/signalr/${hub}/connections/${event}`, {
      headers: {
        "X-ASRS-Signature": signature,
        "X-ASRS-Connection-Id": connectionId,
        "X-ASRS-User-Id": userId,
        "X-ASRS-Hub": hub,
        "X-ASRS-Category": "connections",
        "X-ASRS-Event": event,
        ...(sessionId ? { "X-ASRS-User-Claims": `pf.sid: ${sessionId}` } : {}),
      },
      body: {},
    });
  }

  const onlineIds = async () => (await sys.api("GET", "/api/online?limit=1000")).body.users.map((u) => u.userId);

  it("a replayed disconnected of a live connection leaves its user online and the lease in place", async () => {
    const ann = uid("ann");
    const conn = await sys.connect(await sys.login(ann, "Ann", "laptop"));
    await waitFor(async () => (await onlineIds()).includes(ann), 10_000, "ann online");

    const res = await replay("disconnected", { connectionId: conn.connectionId, userId: ann });
    assert.equal(res.status, 200, res.text);
    assert.ok((await onlineIds()).includes(ann), "ann is still online");
    const sessions = await sys.api("GET", `/api/users/${ann}/sessions`);
    assert.equal(sessions.body.sessions[0].connections, 1, "her connection is still counted");
  });

  it("a connection's signature replayed as another user's connected event marks nobody online and closes nothing", async () => {
    const ben = uid("ben");
    const cal = uid("cal");
    const benConn = await sys.connect(await sys.login(ben, "Ben", "laptop"));
    const calSession = await sys.login(cal, "Cal", "laptop"); // never connects
    await waitFor(async () => (await onlineIds()).includes(ben), 10_000, "ben online");

    const asCal = await replay("connected", { connectionId: benConn.connectionId, userId: cal, sessionId: calSession.sessionId });
    assert.equal(asCal.status, 200, asCal.text);
    const otherSession = await replay("connected", { connectionId: benConn.connectionId, userId: ben, sessionId: "not-his-session" });
    assert.equal(otherSession.status, 200, otherSession.text);
    const asCalGone = await replay("disconnected", { connectionId: benConn.connectionId, userId: cal });
    assert.equal(asCalGone.status, 200, asCalGone.text);

    const online = await onlineIds();
    assert.ok(!online.includes(cal), "cal, who has no connection, is not online");
    assert.ok(online.includes(ben), "ben is still online");
    assert.deepEqual(benConn.received.redirect_to_login, [], "ben's connection was not sent to the login page");
    const sent = await sys.api("POST", `/api/users/${ben}/messages`, { body: { payload: { still: "here" } } });
    assert.equal(sent.status, 202, sent.text);
    await waitFor(() => benConn.received.message.some((m) => m.id === sent.body.id), 10_000, "ben's connection still delivers");
  });

  it("the genuine disconnected event still counts, and the hub must match exactly", async () => {
    const dee = uid("dee");
    const conn = await sys.connect(await sys.login(dee, "Dee", "laptop"));
    await waitFor(async () => (await onlineIds()).includes(dee), 10_000, "dee online");
    const upper = await replay("disconnected", { connectionId: conn.connectionId, userId: dee, hub: "PUSH" });
    assert.equal(upper.status, 404, `hub in other case: ${upper.status} ${upper.text}`);

    await conn.stop();
    await waitFor(async () => !(await onlineIds()).includes(dee), 10_000, "dee offline after her real disconnect");
  });
});
