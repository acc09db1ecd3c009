// Issue 12: SignalR Service keeps at most 100 user-group memberships without ttl per user (the
// latest updated), and the emulator does too. The app puts a member in one group per room, so a
// user in more than 100 rooms no longer gets the oldest room's messages live; the room's stream
// still has them, and a sync delivers them: nothing is lost, it is only late.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { pool, startSystem, syncedMessages, uid, waitFor } from "../lib/system.mjs";

describe("rooms past the service's 100 groups per user", () => {
  let sys;
  before(async () => { sys = await startSystem({ name: "rooms-past-100" }); });
  after(async () => { await sys?.stop(); });

  it("the oldest room's messages stop arriving live but still arrive by sync", async () => {
    const user = uid("many-rooms");
    const session = await sys.login(user);
    const conn = await sys.connect(session);
    const rooms = Array.from({ length: 101 }, (_, i) => `${user}-room-${String(i).padStart(3, "0")}`);
    // The first room is joined first, then the 100 others: it is the least recently updated membership.
    const first = await sys.api("PUT", `/api/rooms/${rooms[0]}/members/${user}`);
    assert.equal(first.status, 204, first.text);
    await pool(100, 8, async (i) => {
      const res = await sys.api("PUT", `/api/rooms/${rooms[i + 1]}/members/${user}`);
      assert.equal(res.status, 204, res.text);
    });

    const latest = await sys.api("POST", `/api/rooms/${rooms[100]}/messages`, { body: { payload: "latest room" } });
    const oldest = await sys.api("POST", `/api/rooms/${rooms[0]}/messages`, { body: { payload: "oldest room" } });
    assert.equal(latest.status, 202, latest.text);
    assert.equal(oldest.status, 202, oldest.text);

    await waitFor(() => conn.received.room_message.some((m) => m.id === latest.body.id), 10_000, "the latest room's message live");
    await sleep(1000);
    assert.ok(!conn.received.room_message.some((m) => m.id === oldest.body.id), "the oldest room's message came live");

    const synced = await sys.sync(session, { [`room:${rooms[0]}`]: 0 });
    assert.equal(synced.status, 200, synced.text);
    assert.deepEqual(syncedMessages(synced.body, `room:${rooms[0]}`).map((m) => m.id), [oldest.body.id]);
  });
});
