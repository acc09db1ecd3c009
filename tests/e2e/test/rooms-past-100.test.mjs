// SignalR Service keeps at most 100 user-group memberships without ttl per user (the
// latest updated), and the emulator does too (tests/SignalREmulator.Tests). The app puts a member in one
// group per room, so it caps rooms per user at 100 (Limits__RoomsPerUser): every room a user is in stays
// live, even the one they joined first, and the 101st is refused with a 409 that names the limit.
// The service keeps those memberships for the user's later connections, so a connect costs a bounded
// number of REST calls whatever the user's room count: the app asserts no membership again on connect.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { pool, startSystem, uid, waitFor } from "../lib/system.mjs";

describe("rooms at the service's 100 groups per user", () => {
  let sys;
  before(async () => { sys = await startSystem({ name: "rooms-past-100" }); });
  after(async () => { await sys?.stop(); });

  it("a user in 100 rooms gets every room's messages live, the oldest room's too; a 101st room is refused", async () => {
    const user = uid("many-rooms");
    const session = await sys.login(user);
    const conn = await sys.connect(session);
    const rooms = Array.from({ length: 101 }, (_, i) => `${user}-room-${String(i).padStart(3, "0")}`);
    // The first room is joined first, then the 99 others: it is the least recently updated membership.
    const first = await sys.api("PUT", `/api/rooms/${rooms[0]}/members/${user}`);
    assert.equal(first.status, 204, first.text);
    await pool(99, 8, async (i) => {
      const res = await sys.api("PUT", `/api/rooms/${rooms[i + 1]}/members/${user}`);
      assert.equal(res.status, 204, res.text);
    });
    const past = await sys.api("PUT", `/api/rooms/${rooms[100]}/members/${user}`);
    assert.equal(past.status, 409, `the 101st room: ${past.status} ${past.text}`);
    assert.match(past.body?.title ?? "", /Limits__RoomsPerUser/);

    const latest = await sys.api("POST", `/api/rooms/${rooms[99]}/messages`, { body: { payload: "latest room" } });
    const oldest = await sys.api("POST", `/api/rooms/${rooms[0]}/messages`, { body: { payload: "oldest room" } });
    assert.equal(latest.status, 202, latest.text);
    assert.equal(oldest.status, 202, oldest.text);
    await waitFor(() => conn.received.room_message.some((m) => m.id === latest.body.id), 10_000, "the latest room's message live");
    await waitFor(() => conn.received.room_message.some((m) => m.id === oldest.body.id), 10_000, "the oldest room's message live");
  });

  it("a user in 100 rooms connects with at most 3 REST calls and gets every room's messages live", async () => {
    const user = uid("hundred");
    const rooms = Array.from({ length: 100 }, (_, i) => `${user}-r${String(i).padStart(3, "0")}`);
    await pool(rooms.length, 8, async (i) => {
      const res = await sys.api("PUT", `/api/rooms/${rooms[i]}/members/${user}`);
      assert.equal(res.status, 204, res.text);
    });
    const session = await sys.login(user);
    const before = await sys.emulatorStats();

    const conn = await sys.connect(session);
    await conn.connection.invoke("present"); // what client/ does over each new connection; answered once recorded
    await waitFor(async () => (await sys.api("GET", "/api/online?limit=1000")).body.users.some((u) => u.userId === user),
      10_000, "the user online");
    await sleep(1000); // anything the connect set off (the online push) has gone out
    const after = await sys.emulatorStats();
    const calls = after.restCalls - before.restCalls;
    const byOperation = Object.fromEntries(Object.entries(after.restCallsByOperation)
      .map(([op, n]) => [op, n - (before.restCallsByOperation[op] ?? 0)]).filter(([, n]) => n > 0));
    console.log(`REST calls for one connect of a user in ${rooms.length} rooms: ${calls} ${JSON.stringify(byOperation)}`);
    assert.ok(calls <= 3, `a connect cost ${calls} REST calls: ${JSON.stringify(byOperation)}`);

    for (const room of [rooms[0], rooms[57], rooms[99]]) {
      const res = await sys.api("POST", `/api/rooms/${room}/messages`, { body: { payload: room } });
      assert.equal(res.status, 202, res.text);
      await waitFor(() => conn.received.room_message.some((m) => m.id === res.body.id), 10_000, `${room}'s message live`);
    }
  });
});
