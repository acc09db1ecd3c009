// Account deletion (DELETE /api/users/{userId}, and POST /api/deleteAccountToUpdateOnline with the
// user as {uid} in the body). Every device of the deleted user is sent to the login
// page and closed, the old tokens stop working, the user leaves the online list and every room,
// everyone else is told the new online list, and calling it again is harmless.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { startSystem, uid, userListHas, waitFor } from "../lib/system.mjs";

describe("account deletion", () => {
  let sys;
  before(async () => { sys = await startSystem({ name: "account-deletion" }); });
  after(async () => { await sys?.stop(); });

  const enc = encodeURIComponent;

  async function onlineIds() {
    const res = await sys.api("GET", "/api/online?limit=1000");
    assert.equal(res.status, 200, res.text);
    return res.body.users.map((u) => u.userId);
  }

  async function assertRefused(session, what) {
    const negotiate = await sys.api("POST", "/api/negotiate?negotiateVersion=1", { auth: session });
    assert.equal(negotiate.status, 401, `${what}: negotiate ${negotiate.status} ${negotiate.text}`);
    const sync = await sys.sync(session, {});
    assert.equal(sync.status, 401, `${what}: sync ${sync.status} ${sync.text}`);
  }

  /**
   * Sets up a user with two sessions (laptop, phone), one connection each, in a room with a
   * watcher who is also connected; waits until the watcher has seen them online.
   */
  async function setUp(name) {
    const user = uid(name);
    const watcher = uid("watch");
    const room = uid("room");
    const laptop = await sys.login(user, name, "laptop");
    const phone = await sys.login(user, name, "phone");
    const watcherConn = await sys.connect(await sys.login(watcher, "Watcher", "laptop"));
    for (const u of [user, watcher]) {
      const res = await sys.api("PUT", `/api/rooms/${enc(room)}/members/${enc(u)}`);
      assert.equal(res.status, 204, res.text);
    }
    const conns = [await sys.connect(laptop), await sys.connect(phone)];
    await waitFor(() => watcherConn.received.update_online_count.some((u) => userListHas(u?.user_list, user)),
      10_000, `the watcher told that ${user} is online`);
    await waitFor(async () => (await onlineIds()).includes(user), 10_000, `${user} in GET /api/online`);
    return { user, watcher, room, sessions: [laptop, phone], conns, watcherConn };
  }

  async function assertDeleted({ user, watcher, room, sessions, conns, watcherConn }, updatesBefore) {
    for (const [i, conn] of conns.entries()) {
      const redirect = await waitFor(() => conn.received.redirect_to_login[0], 10_000, `redirect_to_login at connection ${i + 1}`);
      assert.deepEqual(redirect, { reason: "account_deleted" });
      await waitFor(() => conn.closed, 10_000, `connection ${i + 1} to be closed`);
      assert.equal(conn.received.redirect_to_login.length, 1, `one redirect_to_login at connection ${i + 1}`);
    }
    for (const [i, session] of sessions.entries()) await assertRefused(session, `old token ${i + 1}`);

    assert.ok(!(await onlineIds()).includes(user), "the deleted user is gone from GET /api/online");
    const members = await sys.api("GET", `/api/rooms/${enc(room)}/members`);
    assert.equal(members.status, 200, members.text);
    assert.deepEqual(members.body.members.map((m) => m.userId), [watcher], "the deleted user is gone from the room");
    assert.equal(members.body.total, 1);

    const update = await waitFor(() => watcherConn.received.update_online_count.slice(updatesBefore)
      .find((u) => !userListHas(u?.user_list, user) && userListHas(u?.user_list, watcher)),
    10_000, "an update_online_count without the deleted user at the watcher");
    // It counts and lists exactly who is online now (nobody connects or leaves meanwhile).
    const online = (await onlineIds()).sort();
    assert.equal(update.online_count, online.length, `online_count of ${JSON.stringify(update)}; online: ${online}`);
    assert.deepEqual(update.user_list.map((u) => u.userId ?? u).sort(), online, "user_list is everyone online");

    const sessionsLeft = await sys.api("GET", `/api/users/${enc(user)}/sessions`);
    assert.equal(sessionsLeft.status, 200, sessionsLeft.text);
    assert.deepEqual(sessionsLeft.body.sessions, [], "no sessions left");
  }

  it("DELETE /api/users/{userId}: both connections sent to login and closed, tokens refused, gone everywhere; again is harmless", async () => {
    const setup = await setUp("del");
    const old = await sys.sendToUser(setup.user, { private: "before deletion" });
    assert.equal(old.status, 202, old.text);
    await waitFor(() => setup.conns[0].received.message.some((m) => m.id === old.body.id), 10_000, "the private message");
    const updatesBefore = setup.watcherConn.received.update_online_count.length;

    const res = await sys.api("DELETE", `/api/users/${enc(setup.user)}`);
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body, { sessionsRevoked: 2, connectionsClosed: 2 });
    await assertDeleted(setup, updatesBefore);

    const again = await sys.api("DELETE", `/api/users/${enc(setup.user)}`);
    assert.equal(again.status, 200, `deleting again: ${again.status} ${again.text}`);
    assert.deepEqual(again.body, { sessionsRevoked: 0, connectionsClosed: 0 });

    // The same user id signing up again starts afresh: none of the deleted account's messages or rooms.
    const reborn = await sys.login(setup.user, "del again", "laptop");
    const sync = await sys.sync(reborn, { [`user:${setup.user}`]: 0 });
    assert.equal(sync.status, 200, sync.text);
    assert.deepEqual(sync.body.streams[`user:${setup.user}`]?.messages ?? [], [], "the old private messages are deleted");
    assert.ok(!(`room:${setup.room}` in sync.body.streams), "the old room is not readable");

    // The watcher and the room are fine.
    await sleep(300);
    assert.deepEqual(setup.watcherConn.received.redirect_to_login, [], "the watcher is not redirected");
    const roomMsg = await sys.api("POST", `/api/rooms/${enc(setup.room)}/messages`, { body: { payload: { still: "here" } } });
    assert.equal(roomMsg.status, 202, roomMsg.text);
    assert.equal(roomMsg.body.total, 1, `the room counts only the watcher: ${roomMsg.text}`);
  });

  it("POST /api/deleteAccountToUpdateOnline {uid, userName} does the same, and only with the server key", async () => {
    const setup = await setUp("byuid");
    const updatesBefore = setup.watcherConn.received.update_online_count.length;

    const unauthorized = await sys.api("POST", "/api/deleteAccountToUpdateOnline",
      { body: { uid: setup.user, userName: "byuid" }, auth: null });
    assert.equal(unauthorized.status, 401, `without the server key: ${unauthorized.status} ${unauthorized.text}`);
    const bySession = await sys.api("POST", "/api/deleteAccountToUpdateOnline",
      { body: { uid: setup.user, userName: "byuid" }, auth: setup.sessions[0] });
    // A server-only route: the Functions host wants its key first, so a session token gets its bare 401.
    assert.equal(bySession.status, 401, `with a session token: ${bySession.status} ${bySession.text}`);
    assert.equal(setup.conns[0].connected, true, "a refused call deletes nothing");

    const res = await sys.api("POST", "/api/deleteAccountToUpdateOnline", { body: { uid: setup.user, userName: "byuid" } });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body, { sessionsRevoked: 2, connectionsClosed: 2 });
    await assertDeleted(setup, updatesBefore);

    const again = await sys.api("POST", "/api/deleteAccountToUpdateOnline", { body: { uid: setup.user, userName: "byuid" } });
    assert.equal(again.status, 200, again.text);
    assert.deepEqual(again.body, { sessionsRevoked: 0, connectionsClosed: 0 });
  });

  it("an id that URL normalisation removes ('.', '..') is refused, and a connected bystander is untouched", async () => {
    const bystander = uid("bystander");
    const conn = await sys.connect(await sys.login(bystander, "Bystander", "laptop"));
    for (const id of [".", ".."]) {
      const legacy = await sys.api("POST", "/api/deleteAccountToUpdateOnline", { body: { uid: id, userName: "x" } });
      assert.equal(legacy.status, 400, `uid ${id}: ${legacy.status} ${legacy.text}`);
      assert.match(legacy.headers.get("content-type") ?? "", /application\/problem\+json/);
      const login = await sys.api("POST", "/api/login", { body: { userId: id, userName: "x" } });
      assert.equal(login.status, 400, `login ${id}: ${login.status} ${login.text}`);
      const deletion = await sys.api("DELETE", `/api/users/${enc(id)}`);
      assert.ok([400, 404, 405].includes(deletion.status), `DELETE /api/users/${id}: ${deletion.status} ${deletion.text}`);
    }
    const sent = await sys.sendToUser(bystander, { still: "connected" });
    assert.equal(sent.status, 202, sent.text);
    await waitFor(() => conn.received.message.some((m) => m.id === sent.body.id), 10_000, "the bystander's own message");
    assert.equal(conn.connected, true, "the bystander is still connected");
    assert.deepEqual(conn.received.redirect_to_login, [], "the bystander is not redirected");
  });
});
