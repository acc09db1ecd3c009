// Rooms with membership. The main backend adds and removes members (idempotently), users
// join and leave themselves, members are listed with who is online, a room message reaches every
// connection of every member once (with the room's counts) and nobody else, non-members may not
// send, and members who were away catch up by sync from where they joined.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { startSystem, syncedMessages, uid, waitFor } from "../lib/system.mjs";

describe("rooms", () => {
  let sys;
  // A lease this short keeps the periodic check reading at every tick (10 s), so that a restore queued by a
  // failed membership call is tried within a tick; with the default lease it can wait up to a lease
  // (docs/DESIGN.md, "Periodic work").
  before(async () => { sys = await startSystem({ name: "rooms", appEnv: { Presence__LeaseSeconds: "5" } }); });
  after(async () => { await sys?.stop(); });

  const enc = encodeURIComponent;
  const addMember = (room, user) => sys.api("PUT", `/api/rooms/${enc(room)}/members/${enc(user)}`);
  const removeMember = (room, user) => sys.api("DELETE", `/api/rooms/${enc(room)}/members/${enc(user)}`);
  const members = (room) => sys.api("GET", `/api/rooms/${enc(room)}/members`);
  const sendAsServer = (room, payload, from) =>
    sys.api("POST", `/api/rooms/${enc(room)}/messages`, { body: { payload, ...(from ? { from } : {}) } });
  const sendAsUser = (session, room, payload) =>
    sys.api("POST", `/api/rooms/${enc(room)}/messages`, { body: { payload }, auth: session });

  function roomCopies(conn, id) {
    return conn.received.room_message.filter((m) => m?.id === id);
  }

  function memberIds(body) {
    return (body?.members ?? []).map((m) => m.userId).sort();
  }

  async function addOk(room, user) {
    const res = await addMember(room, user);
    assert.equal(res.status, 204, `PUT member ${user}: ${res.status} ${res.text}`);
  }

  /** Waits until GET members shows the wanted online flags (presence follows upstream events). */
  async function membersWhen(room, predicate, what) {
    let last;
    return waitFor(async () => {
      last = await members(room);
      assert.equal(last.status, 200, last.text);
      return predicate(last.body) ? last.body : null;
    }, 10_000, what).catch((e) => { e.message += ` (last: ${last?.text})`; throw e; });
  }

  it("PUT and DELETE a member are idempotent (204 twice); the member list follows", async () => {
    const room = uid("room");
    const kim = uid("kim");
    const lee = uid("lee");
    for (const u of [kim, lee]) await sys.login(u, u, "laptop");

    await addOk(room, kim);
    await addOk(room, kim); // again: still 204, still one member
    await addOk(room, lee);
    let list = await members(room);
    assert.equal(list.status, 200, list.text);
    assert.deepEqual(memberIds(list.body), [kim, lee].sort());
    assert.equal(list.body.total, 2, `total ${list.text}`);

    for (let i = 1; i <= 2; i++) {
      const res = await removeMember(room, kim);
      assert.equal(res.status, 204, `DELETE member (call ${i}): ${res.status} ${res.text}`);
    }
    list = await members(room);
    assert.deepEqual(memberIds(list.body), [lee]);
    assert.equal(list.body.total, 1);

    const never = await removeMember(room, uid("nobody"));
    assert.equal(never.status, 204, `DELETE of a user who never was a member: ${never.status} ${never.text}`);
  });

  async function openRoom(room) {
    const res = await sys.api("PUT", `/api/rooms/${enc(room)}`, { body: { policy: "open" } });
    assert.equal(res.status, 204, `opening ${room}: ${res.status} ${res.text}`);
  }

  it("an outsider cannot join, read or post in a members-only room (the default); the main backend can open it and close it again", async () => {
    const room = uid("room");
    const owner = uid("own");
    const eve = uid("eve");
    await sys.login(owner, "Owner", "laptop");
    await addOk(room, owner);
    const eveSession = await sys.login(eve, "Eve", "laptop");

    const join = await sys.api("POST", `/api/rooms/${enc(room)}/join`, { auth: eveSession });
    assert.equal(join.status, 403, `join: ${join.status} ${join.text}`);
    assert.match(join.body?.title ?? "", /not open/);
    const read = await sys.sync(eveSession, { [`room:${room}`]: 0 });
    assert.equal(read.status, 403, `sync: ${read.status} ${read.text}`);
    const post = await sys.api("POST", `/api/rooms/${enc(room)}/messages`, { auth: eveSession, body: { payload: "hi" } });
    assert.equal(post.status, 403, `post: ${post.status} ${post.text}`);
    assert.deepEqual(memberIds((await members(room)).body), [owner], "eve is not a member");

    const bad = await sys.api("PUT", `/api/rooms/${enc(room)}`, { body: { policy: "everyone" } });
    assert.equal(bad.status, 400, `an unknown policy: ${bad.status} ${bad.text}`);
    const asBrowser = await sys.api("PUT", `/api/rooms/${enc(room)}`, { auth: eveSession, body: { policy: "open" } });
    assert.equal(asBrowser.status, 403, `a browser setting the policy: ${asBrowser.status} ${asBrowser.text}`);

    await openRoom(room);
    const opened = await sys.api("POST", `/api/rooms/${enc(room)}/join`, { auth: eveSession });
    assert.equal(opened.status, 204, `join an open room: ${opened.status} ${opened.text}`);
    const close = await sys.api("PUT", `/api/rooms/${enc(room)}`, { body: { policy: "members" } });
    assert.equal(close.status, 204, close.text);
    const leave = await sys.api("POST", `/api/rooms/${enc(room)}/leave`, { auth: eveSession });
    assert.equal(leave.status, 204, leave.text);
    const rejoin = await sys.api("POST", `/api/rooms/${enc(room)}/join`, { auth: eveSession });
    assert.equal(rejoin.status, 403, `rejoin once closed again: ${rejoin.status} ${rejoin.text}`);
  });

  it("a user joins and leaves with their session (204); members lists {total, online, members:[{userId, online}]}", async () => {
    const room = uid("room");
    const mia = uid("mia");
    const ned = uid("ned");
    const miaSession = await sys.login(mia, "Mia", "laptop");
    const nedSession = await sys.login(ned, "Ned", "phone");
    const miaConn = await sys.connect(miaSession); // mia online, ned offline

    const closed = await sys.api("POST", `/api/rooms/${enc(room)}/join`, { auth: miaSession });
    assert.equal(closed.status, 403, `joining a room the main backend has not opened: ${closed.status} ${closed.text}`);
    await openRoom(room);
    for (const s of [miaSession, nedSession]) {
      const res = await sys.api("POST", `/api/rooms/${enc(room)}/join`, { auth: s });
      assert.equal(res.status, 204, `join ${s.userId}: ${res.status} ${res.text}`);
    }
    const again = await sys.api("POST", `/api/rooms/${enc(room)}/join`, { auth: miaSession });
    assert.equal(again.status, 204, `joining again: ${again.status} ${again.text}`);

    const body = await membersWhen(room, (b) => b.members?.find((m) => m.userId === mia)?.online === true,
      "mia listed online");
    assert.equal(body.total, 2, JSON.stringify(body));
    assert.equal(body.online, 1, `one member online: ${JSON.stringify(body)}`);
    assert.deepEqual(memberIds(body), [mia, ned].sort());
    const byId = Object.fromEntries(body.members.map((m) => [m.userId, m]));
    assert.equal(byId[mia].online, true);
    assert.equal(byId[ned].online, false);

    const leave = await sys.api("POST", `/api/rooms/${enc(room)}/leave`, { auth: nedSession });
    assert.equal(leave.status, 204, `leave: ${leave.status} ${leave.text}`);
    const leaveAgain = await sys.api("POST", `/api/rooms/${enc(room)}/leave`, { auth: nedSession });
    assert.equal(leaveAgain.status, 204, `leaving again: ${leaveAgain.status} ${leaveAgain.text}`);
    const afterLeave = await members(room);
    assert.deepEqual(memberIds(afterLeave.body), [mia]);
    assert.equal(afterLeave.body.total, 1);
    assert.equal(afterLeave.body.online, 1);

    const syncLeft = await sys.sync(nedSession, { [`room:${room}`]: 0 });
    assert.equal(syncLeft.status, 403, `sync of a room ned left: ${syncLeft.status} ${syncLeft.text}`);

    await miaConn.stop();
    const offline = await membersWhen(room, (b) => b.members?.find((m) => m.userId === mia)?.online === false,
      "mia listed offline after her only connection closed");
    assert.equal(offline.online, 0, JSON.stringify(offline));

    const noSession = await sys.api("POST", `/api/rooms/${enc(room)}/join`, { auth: null });
    assert.equal(noSession.status, 401, `join without a session: ${noSession.status} ${noSession.text}`);
  });

  it("a member's message reaches every connection of every member once, with counts; non-members get nothing", async () => {
    const room = uid("room");
    const ola = uid("ola");
    const pat = uid("pat");
    const quinn = uid("quinn"); // member, offline
    const rex = uid("rex"); // not a member, online
    const olaSession = await sys.login(ola, "Ola", "laptop");
    const olaLaptop = await sys.connect(olaSession);
    const olaPhone = await sys.connect(await sys.login(ola, "Ola", "phone"));
    const patConn = await sys.connect(await sys.login(pat, "Pat", "laptop"));
    await sys.login(quinn, "Quinn", "laptop");
    const rexSession = await sys.login(rex, "Rex", "laptop");
    const rexConn = await sys.connect(rexSession);
    for (const u of [ola, pat, quinn]) await addOk(room, u);
    await membersWhen(room, (b) => b.online === 2, "two members online (ola, pat)");

    const payload = { text: "standup in 5" };
    const res = await sendAsUser(olaSession, room, payload);
    assert.equal(res.status, 202, res.text);
    assert.equal(res.body.stream, `room:${room}`);
    assert.ok(Number.isInteger(res.body.seq) && res.body.seq > 0, `seq ${res.body.seq}`);
    assert.equal(typeof res.body.id, "string");
    assert.equal(res.body.total, 3, `total: ${res.text}`);
    assert.equal(res.body.online, 2, `online: ${res.text}`);

    for (const [who, conn] of [["ola laptop", olaLaptop], ["ola phone", olaPhone], ["pat", patConn]]) {
      const msg = await waitFor(() => roomCopies(conn, res.body.id)[0], 10_000, `the room message at ${who}`);
      assert.equal(msg.roomId, room);
      assert.equal(msg.stream, `room:${room}`);
      assert.equal(msg.seq, res.body.seq);
      assert.equal(msg.total, 3);
      assert.equal(msg.online, 2);
      assert.equal(msg.from, ola, "the sender is the session's user");
      assert.deepEqual(msg.payload, payload);
    }
    await sleep(500);
    for (const conn of [olaLaptop, olaPhone, patConn]) {
      assert.equal(roomCopies(conn, res.body.id).length, 1, `${conn.userId} got exactly one copy`);
      assert.equal(conn.received.message.filter((m) => m?.id === res.body.id).length, 0,
        "a room message comes as room_message, not also as message");
    }
    assert.deepEqual(rexConn.received.room_message, [], "a non-member receives nothing");

    // A non-member may not send: 403 problem+json.
    const refused = await sendAsUser(rexSession, room, { text: "let me in" });
    assert.equal(refused.status, 403, `non-member send: ${refused.status} ${refused.text}`);
    assert.match(refused.headers.get("content-type") ?? "", /application\/problem\+json/);
    assert.ok(refused.body?.title, "the problem has a title");
    await sleep(300);
    for (const conn of [olaLaptop, olaPhone, patConn]) {
      assert.ok(!conn.received.room_message.some((m) => m?.payload?.text === "let me in"), "the refused message went nowhere");
    }

    // The server may send, on behalf of anyone (from) or nobody.
    const fromServer = await sendAsServer(room, { text: "room renamed" }, pat);
    assert.equal(fromServer.status, 202, fromServer.text);
    assert.equal(fromServer.body.seq, res.body.seq + 1);
    assert.equal(fromServer.body.total, 3);
    const got = await waitFor(() => roomCopies(patConn, fromServer.body.id)[0], 10_000, "the server's room message");
    assert.equal(got.from, pat);
    const anon = await sendAsServer(room, { text: "system notice" });
    assert.equal(anon.status, 202, anon.text);
    await waitFor(() => roomCopies(olaLaptop, anon.body.id)[0], 10_000, "the server's message without from");
  });

  it("a member who was offline during three room messages gets all three by sync, in order, once", async () => {
    const room = uid("room");
    const sam = uid("sam");
    const tia = uid("tia");
    const samSession = await sys.login(sam, "Sam", "laptop");
    await sys.login(tia, "Tia", "laptop");
    await addOk(room, sam);
    await addOk(room, tia);
    const samConn = await sys.connect(samSession);
    const first = await sys.sync(samSession, {});
    assert.equal(first.status, 200, first.text);
    assert.ok(first.body.streams[`room:${room}`], `sync answers for the room: ${JSON.stringify(Object.keys(first.body.streams))}`);
    await samConn.stop(); // sam goes away

    const sent = [];
    for (let i = 1; i <= 3; i++) {
      const res = await sendAsServer(room, { i }, tia);
      assert.equal(res.status, 202, res.text);
      sent.push(res.body);
    }

    const back = await sys.connect(samSession); // sam comes back and syncs, as the browser client does on connect
    const sync = await sys.sync(samSession, {});
    assert.equal(sync.status, 200, sync.text);
    const stream = `room:${room}`;
    const ours = syncedMessages(sync.body, stream);
    assert.deepEqual(ours.map((m) => m.id), sent.map((s) => s.id), "all three, in order, once");
    assert.deepEqual(ours.map((m) => m.payload.i), [1, 2, 3]);
    assert.deepEqual(ours.map((m) => m.seq), sent.map((s) => s.seq));
    assert.equal(sync.body.streams[stream].recovered, true);
    assert.equal(sync.body.streams[stream].more, false);
    await sleep(300);
    assert.deepEqual(back.received.room_message, [], "nothing old is pushed live on reconnect");

    const again = await sys.sync(samSession, {});
    assert.deepEqual(syncedMessages(again.body, stream), [], "a second sync returns none of them again");
  });

  it("a user who joins after messages were sent does not get the earlier ones by sync", async () => {
    const room = uid("room");
    const uma = uid("uma");
    const vic = uid("vic");
    await sys.login(uma, "Uma", "laptop");
    await addOk(room, uma);
    const before = [];
    for (let i = 1; i <= 2; i++) {
      const res = await sendAsServer(room, { before: i }, uma);
      assert.equal(res.status, 202, res.text);
      before.push(res.body);
    }

    const vicSession = await sys.login(vic, "Vic", "laptop");
    await openRoom(room);
    const join = await sys.api("POST", `/api/rooms/${enc(room)}/join`, { auth: vicSession });
    assert.equal(join.status, 204, join.text);
    const later = await sendAsServer(room, { after: 1 }, uma);
    assert.equal(later.status, 202, later.text);

    const stream = `room:${room}`;
    const sync = await sys.sync(vicSession, {});
    assert.equal(sync.status, 200, sync.text);
    assert.deepEqual(syncedMessages(sync.body, stream).map((m) => m.payload), [{ after: 1 }],
      "only the message sent after the join");

    // Even asking explicitly from 0 does not reach before the join point.
    const fromZero = await sys.sync(vicSession, { [stream]: 0 });
    assert.equal(fromZero.status, 200, fromZero.text);
    assert.deepEqual(syncedMessages(fromZero.body, stream).map((m) => m.payload), [{ after: 1 }],
      "cursor 0 still starts at the join point");
  });

  it("a device connected before the user was added to the room receives live room messages after the add", async () => {
    const room = uid("room");
    const wes = uid("wes");
    const wesConn = await sys.connect(await sys.login(wes, "Wes", "laptop")); // connected first
    await waitFor(async () => (await sys.api("GET", "/api/online")).body?.users?.some((u) => u.userId === wes),
      10_000, "wes online");

    await addOk(room, wes); // then added
    const res = await sendAsServer(room, { text: "welcome, wes" });
    assert.equal(res.status, 202, res.text);
    assert.equal(res.body.online, 1, `wes counts as an online member: ${res.text}`);
    const msg = await waitFor(() => roomCopies(wesConn, res.body.id)[0], 10_000,
      "the room message at the connection that existed before the add");
    assert.equal(msg.roomId, room);

    // A connection opened after the add gets them too; after removal, neither does.
    const wesPhone = await sys.connect(await sys.login(wes, "Wes", "phone"));
    const second = await sendAsServer(room, { text: "second" });
    await waitFor(() => roomCopies(wesPhone, second.body.id)[0], 10_000, "the room message at the newer connection");
    await waitFor(() => roomCopies(wesConn, second.body.id)[0], 10_000, "the second room message at the first connection");

    const removed = await removeMember(room, wes);
    assert.equal(removed.status, 204, removed.text);
    const third = await sendAsServer(room, { text: "after removal" });
    assert.equal(third.status, 202, third.text);
    assert.equal(third.body.total, 0);
    await sleep(500);
    assert.equal(roomCopies(wesConn, third.body.id).length, 0, "a removed member's connection gets nothing more");
    assert.equal(roomCopies(wesPhone, third.body.id).length, 0, "nor does their other device");
  });

  // A membership call SignalR Service fails (503) leaves the app a reason to think the service's memberships of
  // that user differ from Redis: it asserts them all again (remove all, add each room), retrying until the
  // service answers. A member removed from a room meanwhile must stay removed, and the failed add must still come
  // live without the main backend retrying it.
  it("after a failed add, the app restores the user's memberships: the added room comes live, a room left meanwhile stays left", async () => {
    // The retry delays have jitter, so the removal does not always land between the attempts:
    // three rounds, each must hold.
    for (let round = 1; round <= 3; round++) {
      const left = uid("room");
      const added = uid("room");
      const xia = uid("xia");
      const laptop = await sys.connect(await sys.login(xia, "Xia", "laptop"));
      await addOk(left, xia);
      const welcome = await sendAsServer(left, { text: "welcome" });
      await waitFor(() => roomCopies(laptop, welcome.body.id)[0], 10_000, "a room message before the removal");

      const restoreCalls = async () => (await sys.emulatorStats()).restCallsByOperation.removeUserFromAllGroups ?? 0;
      const restoresBefore = await restoreCalls();
      let removed;
      await sys.setEmulatorFaults({ restStatus: 503 });
      try {
        const failed = await sys.api("PUT", `/api/rooms/${enc(added)}/members/${enc(xia)}`);
        assert.equal(failed.status, 503, `the add while SignalR Service fails: ${failed.status} ${failed.text}`);
        // The app's restore has been tried (and failed) once; its next attempt is due.
        await waitFor(async () => (await restoreCalls()) > restoresBefore, 15_000, "the app restoring xia's memberships", 20);
        await sys.clearEmulatorFaults();
        removed = await removeMember(left, xia);
      } finally {
        await sys.clearEmulatorFaults();
      }
      assert.equal(removed.status, 204, removed.text);
      assert.deepEqual(memberIds((await members(left)).body), [], "xia is no member of the room she left");

      const live = await waitFor(async () => {
        const probe = await sendAsServer(added, { text: "are you there" });
        await sleep(300);
        return roomCopies(laptop, probe.body.id)[0];
      }, 20_000, "the failed add's room to come live once the app restored the memberships");
      assert.equal(live.roomId, added);
      const after = await sendAsServer(left, { text: "members only" });
      assert.equal(after.status, 202, after.text);
      assert.equal(after.body.total, 0);
      await sleep(500);
      assert.equal(roomCopies(laptop, after.body.id).length, 0, `round ${round}: a removed member receives no room message`);
      await laptop.stop();
    }
  });
});
