// One POST /api/sync answers for every stream the user may read (their own, broadcast,
// each of their rooms), pages at 500 per stream with `more`, refuses streams the user may not
// read, and says `recovered: false` when the cursor is older than what is retained.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { pool, startSystem, syncedMessages, uid } from "../lib/system.mjs";

const enc = encodeURIComponent;

describe("sync across all streams", () => {
  let sys;
  before(async () => { sys = await startSystem({ name: "sync" }); });
  after(async () => { await sys?.stop(); });

  it("one sync returns the user, broadcast and every room stream", async () => {
    const xan = uid("xan");
    const roomA = uid("room");
    const roomB = uid("room");
    const session = await sys.login(xan, "Xan", "laptop");
    for (const room of [roomA, roomB]) {
      const res = await sys.api("PUT", `/api/rooms/${enc(room)}/members/${enc(xan)}`);
      assert.equal(res.status, 204, res.text);
    }

    const sent = {};
    const direct = await sys.sendToUser(xan, { kind: "direct" });
    assert.equal(direct.status, 202, direct.text);
    sent[`user:${xan}`] = direct.body;
    const bc = await sys.broadcast({ kind: "broadcast" });
    assert.equal(bc.status, 202, bc.text);
    sent.broadcast = bc.body;
    for (const room of [roomA, roomB]) {
      const res = await sys.api("POST", `/api/rooms/${enc(room)}/messages`, { body: { payload: { kind: "room", room } } });
      assert.equal(res.status, 202, res.text);
      sent[`room:${room}`] = res.body;
    }

    const res = await sys.sync(session, {});
    assert.equal(res.status, 200, res.text);
    const streams = res.body.streams;
    assert.deepEqual(Object.keys(streams).sort(), Object.keys(sent).sort(),
      "exactly the user's own stream, broadcast and both rooms");
    for (const [stream, msg] of Object.entries(sent)) {
      const got = syncedMessages(res.body, stream).filter((m) => m.id === msg.id);
      assert.equal(got.length, 1, `${stream}: the message sent there, once (${JSON.stringify(streams[stream])})`);
      assert.equal(got[0].seq, msg.seq);
      assert.equal(got[0].stream, stream);
      assert.equal(streams[stream].latestSeq, msg.seq, `${stream}: latestSeq`);
      assert.equal(streams[stream].recovered, true, `${stream}: recovered`);
      assert.equal(streams[stream].more, false, `${stream}: more`);
    }
  });

  it("asking for a room you are not in is 403; a malformed stream name is 400", async () => {
    const yao = uid("yao");
    const room = uid("room");
    const other = uid("zed");
    await sys.login(other, "Zed", "laptop");
    const put = await sys.api("PUT", `/api/rooms/${enc(room)}/members/${enc(other)}`);
    assert.equal(put.status, 204, put.text);
    const secret = await sys.api("POST", `/api/rooms/${enc(room)}/messages`, { body: { payload: { secret: true } } });
    assert.equal(secret.status, 202, secret.text);
    const session = await sys.login(yao, "Yao", "laptop");

    const res = await sys.sync(session, { [`room:${room}`]: 0 });
    assert.equal(res.status, 403, `sync of a room yao is not in: ${res.status} ${res.text}`);
    assert.match(res.headers.get("content-type") ?? "", /application\/problem\+json/);
    assert.ok(!res.text.includes("secret"), "no room content leaks in the refusal");

    const otherUser = await sys.sync(session, { [`user:${other}`]: 0 });
    assert.equal(otherUser.status, 403, `sync of another user's stream: ${otherUser.status} ${otherUser.text}`);

    const bad = await sys.sync(session, { "nonsense": 0 });
    assert.equal(bad.status, 400, `a malformed stream name: ${bad.status} ${bad.text}`);
  });

  it("more than 500 pending in one stream pages with more: true; two syncs give all 520 once, in order", async () => {
    const ada = uid("ada");
    const stream = `user:${ada}`;
    const session = await sys.login(ada, "Ada", "laptop");
    const started = Date.now();
    const sent = await pool(520, 20, async (i) => {
      const res = await sys.sendToUser(ada, { i });
      assert.equal(res.status, 202, `send ${i}: ${res.status} ${res.text}`);
      return res.body;
    });
    console.log(`520 sends with concurrency 20: ${Date.now() - started} ms`);
    const expected = [...sent].sort((a, b) => a.seq - b.seq);
    assert.equal(new Set(expected.map((s) => s.seq)).size, 520, "520 distinct seqs");

    const first = await sys.sync(session, {});
    assert.equal(first.status, 200, first.text);
    const page1 = first.body.streams[stream];
    assert.equal(page1.messages.length, 500, "the first page holds 500");
    assert.equal(page1.more, true, "more: true after the first page");
    assert.equal(page1.latestSeq, expected.at(-1).seq);

    const cursor = page1.messages.at(-1).seq;
    const second = await sys.sync(session, { [stream]: cursor });
    assert.equal(second.status, 200, second.text);
    const page2 = second.body.streams[stream];
    assert.equal(page2.messages.length, 20, "the second page holds the remaining 20");
    assert.equal(page2.more, false, "more: false on the last page");

    const all = [...page1.messages, ...page2.messages];
    assert.deepEqual(all.map((m) => m.id), expected.map((s) => s.id), "all 520, once, in seq order");
    assert.deepEqual(all.map((m) => m.seq), expected.map((s) => s.seq));
    assert.deepEqual(all.map((m) => m.payload.i).sort((a, b) => a - b), Array.from({ length: 520 }, (_, i) => i),
      "every payload once");

    const third = await sys.sync(session, { [stream]: all.at(-1).seq });
    assert.deepEqual(syncedMessages(third.body, stream), [], "nothing after the end");
    assert.equal(third.body.streams[stream].more, false);
  });
});

describe("sync with a cursor older than retention", () => {
  let sys;
  before(async () => { sys = await startSystem({ name: "sync-retention", appEnv: { Retention__UserMaxLength: "5" } }); });
  after(async () => { await sys?.stop(); });

  it("says recovered: false and returns the retained messages", async () => {
    const bea = uid("bea");
    const stream = `user:${bea}`;
    const session = await sys.login(bea, "Bea", "laptop");
    const sent = [];
    for (let i = 1; i <= 10; i++) {
      const res = await sys.sendToUser(bea, { i });
      assert.equal(res.status, 202, res.text);
      sent.push(res.body);
    }

    const res = await sys.sync(session, { [stream]: sent[0].seq });
    assert.equal(res.status, 200, res.text);
    const s = res.body.streams[stream];
    assert.equal(s.recovered, false, `a cursor at seq ${sent[0].seq} is older than the 5 retained: ${JSON.stringify(s)}`);
    assert.deepEqual(s.messages.map((m) => m.payload.i), [6, 7, 8, 9, 10], "the retained five, in order");
    assert.deepEqual(s.messages.map((m) => m.id), sent.slice(5).map((x) => x.id));
    assert.equal(s.latestSeq, sent[9].seq);
    assert.equal(s.more, false);

    // A cursor just before the oldest retained message misses nothing: recovered.
    const edge = await sys.sync(session, { [stream]: sent[4].seq });
    assert.equal(edge.body.streams[stream].recovered, true, JSON.stringify(edge.body.streams[stream]));
    assert.deepEqual(edge.body.streams[stream].messages.map((m) => m.payload.i), [6, 7, 8, 9, 10]);

    // A cursor inside the retained window recovers.
    const ok = await sys.sync(session, { [stream]: sent[6].seq });
    assert.equal(ok.body.streams[stream].recovered, true, JSON.stringify(ok.body.streams[stream]));
    assert.deepEqual(ok.body.streams[stream].messages.map((m) => m.payload.i), [8, 9, 10]);
  });
});
