// Messages sent while a user is offline are delivered by POST /api/sync when they
// come back: all of them, in order, once; also on a fresh device with no cursor of its own.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startSystem, syncedMessages, uid } from "../lib/system.mjs";

describe("offline messages by sync", () => {
  let sys;
  before(async () => { sys = await startSystem({ name: "offline-sync" }); });
  after(async () => { await sys?.stop(); });

  async function sendThree(userId) {
    const sent = [];
    for (let i = 1; i <= 3; i++) {
      const res = await sys.sendToUser(userId, { todo: `item ${i}`, i });
      assert.equal(res.status, 202, res.text);
      sent.push(res.body);
    }
    assert.ok(sent[0].seq < sent[1].seq && sent[1].seq < sent[2].seq, "seq increases");
    return sent;
  }

  async function syncOk(session, cursors) {
    const res = await sys.sync(session, cursors);
    assert.equal(res.status, 200, res.text);
    assert.ok(res.body?.streams, "the response has streams");
    return res.body;
  }

  function assertExactlyTheThree(body, stream, sent) {
    const ours = syncedMessages(body, stream).filter((m) => sent.some((s) => s.id === m.id));
    assert.deepEqual(ours.map((m) => m.id), sent.map((s) => s.id), "all three, in order, once");
    assert.deepEqual(ours.map((m) => m.seq), sent.map((s) => s.seq));
    assert.deepEqual(ours.map((m) => m.payload.i), [1, 2, 3]);
    for (const m of ours) {
      assert.equal(m.stream, stream);
      assert.ok(m.sentAt, "sentAt is set");
    }
    const all = syncedMessages(body, stream).map((m) => m.seq);
    assert.deepEqual(all, [...all].sort((a, b) => a - b), "messages come in seq order");
    assert.equal(body.streams[stream].more, false);
  }

  it("a returning device gets what it missed since its cursor", async () => {
    const user = uid("dana");
    const stream = `user:${user}`;
    const session = await sys.login(user, "Dana", "laptop");
    const first = await syncOk(session, {});
    const cursor = first.streams[stream]?.latestSeq ?? 0;

    const sent = await sendThree(user); // nobody is connected

    const back = await syncOk(session, { [stream]: cursor });
    assertExactlyTheThree(back, stream, sent);
    assert.equal(back.streams[stream].recovered, true);
    assert.equal(back.streams[stream].latestSeq, sent[2].seq);
  });

  it("a fresh device with no cursor gets them once; cursor 0 gets all retained", async () => {
    const user = uid("erin");
    const stream = `user:${user}`;
    await sys.login(user, "Erin", "laptop"); // known user, then offline

    const sent = await sendThree(user);

    const phone = await sys.login(user, "Erin", "phone"); // a new device: no cursor of its own
    const firstSync = await syncOk(phone, {});
    assertExactlyTheThree(firstSync, stream, sent);
    assert.equal(firstSync.streams[stream].recovered, true);

    const again = await syncOk(phone, {});
    const repeated = syncedMessages(again, stream).filter((m) => sent.some((s) => s.id === m.id));
    assert.deepEqual(repeated, [], "a second sync returns none of them again");

    const otherDevice = await sys.login(user, "Erin", "tablet");
    const secondDevice = await syncOk(otherDevice, {});
    assert.deepEqual(syncedMessages(secondDevice, stream).filter((m) => sent.some((s) => s.id === m.id)), [],
      "the user already received them: another fresh device is not sent them again");

    const fromZero = await syncOk(otherDevice, { [stream]: 0 });
    assertExactlyTheThree(fromZero, stream, sent);
  });
});
