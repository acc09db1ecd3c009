import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { RECENT_IDS, Sequencer, isSequencedMessage } from "../src/sequencer.js";

/** @param {string} stream @param {number} seq */
const msg = (stream, seq) => ({ id: `${stream}#${seq}`, stream, seq, from: "s", payload: seq });
/** @param {any[]} messages */
const seqs = (messages) => messages.map((m) => `${m.stream}#${m.seq}`);
/**
 * @param {string} stream
 * @param {number[]} messageSeqs
 * @param {Partial<import("../src/sequencer.js").StreamPage>} [rest]
 */
const page = (stream, messageSeqs, rest = {}) => ({
  messages: messageSeqs.map((seq) => msg(stream, seq)),
  latestSeq: messageSeqs.at(-1) ?? 0,
  recovered: true,
  more: false,
  ...rest,
});

/**
 * A sequencer whose streams already have cursors, as after a first sync.
 * @param {Record<string, number>} [cursors]
 */
function synced(cursors = { "user:u1": 3, broadcast: 0 }) {
  return new Sequencer(cursors);
}

describe("Sequencer: live messages", () => {
  it("delivers the next message in a stream and advances the cursor", () => {
    const s = synced();
    assert.deepEqual(seqs(s.receive(msg("user:u1", 4)).delivered), ["user:u1#4"]);
    assert.deepEqual(seqs(s.receive(msg("user:u1", 5)).delivered), ["user:u1#5"]);
    assert.equal(s.cursors()["user:u1"], 5);
  });

  it("drops a message at or below the cursor as a duplicate when it delivered that id", () => {
    const s = synced();
    s.receive(msg("user:u1", 4));
    s.receive(msg("user:u1", 5));
    for (const seq of [4, 5]) {
      assert.deepEqual(s.receive(msg("user:u1", seq)), { delivered: [], needsSync: false, lost: [] });
    }
    assert.equal(s.cursors()["user:u1"], 5);
  });

  it("asks for a sync for a message at or below the cursor with an id it never delivered (a reused seq)", () => {
    const s = synced();
    s.receive(msg("user:u1", 4));
    assert.deepEqual(s.receive({ ...msg("user:u1", 4), id: "new-4" }), { delivered: [], needsSync: true, lost: [] });
    assert.equal(s.cursors()["user:u1"], 4);
  });

  it("keeps streams independent", () => {
    const s = synced();
    assert.deepEqual(seqs(s.receive(msg("broadcast", 1)).delivered), ["broadcast#1"]);
    assert.deepEqual(seqs(s.receive(msg("user:u1", 4)).delivered), ["user:u1#4"]);
  });

  it("holds a message after a gap, asks for a sync, and delivers it once the gap fills live", () => {
    const s = synced();
    assert.deepEqual(s.receive(msg("user:u1", 6)), { delivered: [], needsSync: true, lost: [] });
    assert.deepEqual(s.receive(msg("user:u1", 5)), { delivered: [], needsSync: true, lost: [] });
    const result = s.receive(msg("user:u1", 4));
    assert.deepEqual(seqs(result.delivered), ["user:u1#4", "user:u1#5", "user:u1#6"]);
    assert.equal(result.needsSync, false);
  });

  it("holds a held message's duplicate only once", () => {
    const s = synced();
    s.receive(msg("user:u1", 5));
    s.receive(msg("user:u1", 5));
    assert.deepEqual(seqs(s.receive(msg("user:u1", 4)).delivered), ["user:u1#4", "user:u1#5"]);
  });

  it("holds any message of a stream without a cursor and asks for a sync", () => {
    const s = synced();
    assert.deepEqual(s.receive(msg("room:r1", 1)), { delivered: [], needsSync: true, lost: [] });
    assert.equal(s.cursors()["room:r1"], undefined);
  });

  it("rejects a message without a stream or a positive integer seq", () => {
    const s = synced();
    for (const bad of [null, {}, { stream: "x" }, { stream: "x", seq: 0 }, { stream: "x", seq: 1.5 }, { stream: 1, seq: 1 }]) {
      assert.equal(isSequencedMessage(bad), false);
      assert.throws(() => s.receive(/** @type {any} */ (bad)), TypeError);
    }
  });
});

describe("Sequencer: sync", () => {
  it("delivers synced messages after the cursor, in seq order, and drops the ones it has", () => {
    const s = synced();
    const { syncId } = s.beginSync();
    const shuffled = { ...page("user:u1", [2, 3, 4, 5]), latestSeq: 5 };
    shuffled.messages.reverse();
    const result = s.completeSync(syncId, { "user:u1": shuffled, broadcast: page("broadcast", []) });
    assert.deepEqual(seqs(result.delivered), ["user:u1#4", "user:u1#5"]);
    assert.deepEqual(result.lost, []);
    assert.equal(result.needsSync, false);
  });

  it("sends the current cursors and counts syncs", () => {
    const s = synced();
    assert.deepEqual(s.beginSync(), { syncId: 1, cursors: { "user:u1": 3, broadcast: 0 } });
    assert.equal(s.beginSync().syncId, 2);
  });

  it("fills a gap and then delivers the held messages behind it", () => {
    const s = synced();
    s.receive(msg("user:u1", 6));
    s.receive(msg("user:u1", 7));
    const { syncId } = s.beginSync();
    const result = s.completeSync(syncId, { "user:u1": page("user:u1", [4, 5, 6]), broadcast: page("broadcast", []) });
    assert.deepEqual(seqs(result.delivered), ["user:u1#4", "user:u1#5", "user:u1#6", "user:u1#7"]);
    assert.equal(result.needsSync, false);
    assert.equal(s.cursors()["user:u1"], 7);
  });

  it("delivers live messages that arrive while a sync is in flight, and drops them from its answer", () => {
    const s = synced();
    const { syncId } = s.beginSync(); // answer computed now: 4, 5
    assert.deepEqual(seqs(s.receive(msg("user:u1", 4)).delivered), ["user:u1#4"]);
    assert.deepEqual(seqs(s.receive(msg("user:u1", 5)).delivered), ["user:u1#5"]);
    const result = s.completeSync(syncId, { "user:u1": page("user:u1", [4, 5]), broadcast: page("broadcast", []) });
    assert.deepEqual(result.delivered, []);
    assert.equal(s.cursors()["user:u1"], 5);
  });

  it("keeps a gap opened during a sync that did not cover it and asks for another round", () => {
    const s = synced();
    const { syncId } = s.beginSync(); // answer computed now: 4
    s.receive(msg("user:u1", 6)); // 5 and 6 were appended after the answer was computed
    const first = s.completeSync(syncId, { "user:u1": page("user:u1", [4]), broadcast: page("broadcast", []) });
    assert.deepEqual(seqs(first.delivered), ["user:u1#4"]);
    assert.equal(first.needsSync, true);
    const second = s.beginSync();
    const result = s.completeSync(second.syncId, { "user:u1": page("user:u1", [5, 6]), broadcast: page("broadcast", []) });
    assert.deepEqual(seqs(result.delivered), ["user:u1#5", "user:u1#6"]);
    assert.equal(result.needsSync, false);
  });

  it("skips a hole that a sync started after the gap could not fill, and reports the stream lost", () => {
    const s = synced();
    s.receive(msg("user:u1", 6));
    const { syncId } = s.beginSync();
    const result = s.completeSync(syncId, { "user:u1": page("user:u1", [4], { latestSeq: 6 }), broadcast: page("broadcast", []) });
    assert.deepEqual(seqs(result.delivered), ["user:u1#4", "user:u1#6"]);
    assert.deepEqual(result.lost, ["user:u1"]);
    assert.equal(result.needsSync, false);
  });

  it("asks for another round while a page says more, and does not skip held messages meanwhile", () => {
    const s = synced();
    s.receive(msg("user:u1", 7));
    const first = s.beginSync();
    const r1 = s.completeSync(first.syncId, { "user:u1": page("user:u1", [4, 5], { latestSeq: 7, more: true }), broadcast: page("broadcast", []) });
    assert.deepEqual(seqs(r1.delivered), ["user:u1#4", "user:u1#5"]);
    assert.equal(r1.needsSync, true);
    assert.deepEqual(r1.lost, []);
    const second = s.beginSync();
    assert.equal(second.cursors["user:u1"], 5);
    const r2 = s.completeSync(second.syncId, { "user:u1": page("user:u1", [6, 7]), broadcast: page("broadcast", []) });
    assert.deepEqual(seqs(r2.delivered), ["user:u1#6", "user:u1#7"]);
    assert.equal(r2.needsSync, false);
  });

  it("reports recovered:false as lost, delivers what was returned, and continues from there", () => {
    const s = synced();
    const { syncId } = s.beginSync();
    const result = s.completeSync(syncId, {
      "user:u1": page("user:u1", [10, 11], { recovered: false }),
      broadcast: page("broadcast", []),
    });
    assert.deepEqual(result.lost, ["user:u1"]);
    assert.deepEqual(seqs(result.delivered), ["user:u1#10", "user:u1#11"]);
    assert.deepEqual(seqs(s.receive(msg("user:u1", 12)).delivered), ["user:u1#12"]);
  });

  it("after recovered:false with nothing retained, continues from latestSeq", () => {
    const s = synced();
    const { syncId } = s.beginSync();
    const result = s.completeSync(syncId, { "user:u1": page("user:u1", [], { latestSeq: 20, recovered: false }), broadcast: page("broadcast", []) });
    assert.deepEqual(result.lost, ["user:u1"]);
    assert.equal(s.cursors()["user:u1"], 20);
  });

  it("starts a stream it has no cursor for where the server says, then releases held live messages", () => {
    const s = synced();
    s.receive(msg("room:r1", 9));
    s.receive(msg("room:r1", 8));
    const { syncId } = s.beginSync();
    const result = s.completeSync(syncId, {
      "user:u1": page("user:u1", [], { latestSeq: 3 }),
      broadcast: page("broadcast", []),
      "room:r1": page("room:r1", [], { latestSeq: 7 }),
    });
    assert.deepEqual(seqs(result.delivered), ["room:r1#8", "room:r1#9"]);
    assert.equal(s.cursors()["room:r1"], 9);
  });

  it("never moves a cursor back, even for an answer that ends before it", () => {
    const s = synced({ "room:r1": 5 });
    const { syncId } = s.beginSync(); // answer computed now: latestSeq 5
    s.receive(msg("room:r1", 6));
    const result = s.completeSync(syncId, { "room:r1": page("room:r1", [4, 5]) });
    assert.deepEqual(result, { lost: [], delivered: [], needsSync: false });
    assert.equal(s.cursors()["room:r1"], 6);
  });

  it("forgets streams missing from the answer, and held messages the answer should have covered", () => {
    const s = synced({ "user:u1": 3, "room:old": 4 });
    s.receive(msg("room:old", 6));
    const { syncId } = s.beginSync();
    s.receive(msg("room:new", 2)); // joined while the sync was in flight
    const result = s.completeSync(syncId, { "user:u1": page("user:u1", [], { latestSeq: 3 }) });
    assert.deepEqual(s.cursors(), { "user:u1": 3 });
    assert.deepEqual(result.delivered, []);
    assert.equal(result.needsSync, true, "room:new's message is still held for the next round");
    const next = s.beginSync();
    const r2 = s.completeSync(next.syncId, { "user:u1": page("user:u1", [], { latestSeq: 3 }), "room:new": page("room:new", [1, 2]) });
    assert.deepEqual(seqs(r2.delivered), ["room:new#1", "room:new#2"]);
  });

  it("tags synced messages that omit their stream, and ignores malformed ones", () => {
    const s = synced();
    const { syncId } = s.beginSync();
    const result = s.completeSync(syncId, {
      "user:u1": { messages: [{ id: "a", seq: 4, payload: 1 }, /** @type {any} */ ({ id: "bad" })], latestSeq: 4, recovered: true, more: false },
    });
    assert.deepEqual(seqs(result.delivered), ["user:u1#4"]);
  });

  it("ignores malformed stored cursors", () => {
    const s = new Sequencer(/** @type {any} */ ({ a: 1, b: -1, c: "2", d: 1.5 }));
    assert.deepEqual(s.cursors(), { a: 1 });
  });
});

describe("Sequencer: exactly once, in order, whatever the network does", () => {
  /** A small deterministic PRNG so that a failure can be replayed. @param {number} seed */
  function prng(seed) {
    let state = seed >>> 0;
    return () => {
      state = (state * 1664525 + 1013904223) >>> 0;
      return state / 2 ** 32;
    };
  }

  for (let seed = 1; seed <= 200; seed += 1) {
    it(`random interleaving #${seed}`, () => {
      const random = prng(seed);
      const streams = ["user:u1", "broadcast", "room:r1"];
      /** @type {Record<string, any[]>} the server's streams */
      const server = Object.fromEntries(streams.map((stream) => [stream, []]));
      /** @type {{message: any, at: number}[]} live pushes in flight: lost, duplicated, reordered */
      let inFlight = [];
      /** @type {{syncId: number, answer: Record<string, any>}[]} sync answers in flight */
      const syncs = [];
      const s = new Sequencer();
      /** @type {Record<string, number[]>} */
      const seen = Object.fromEntries(streams.map((stream) => [stream, []]));
      /** @param {any[]} delivered */
      const record = (delivered) => delivered.forEach((m) => seen[m.stream].push(m.seq));
      const answer = (/** @type {Record<string, number>} */ cursors) =>
        Object.fromEntries(
          streams.map((stream) => {
            const after = server[stream].filter((m) => m.seq > (cursors[stream] ?? 0));
            const messages = after.slice(0, 3);
            return [stream, { messages, latestSeq: server[stream].length, recovered: true, more: after.length > 3 }];
          }),
        );

      for (let step = 0; step < 300; step += 1) {
        const roll = random();
        if (roll < 0.35) {
          const stream = streams[Math.floor(random() * streams.length)];
          const message = msg(stream, server[stream].length + 1);
          server[stream].push(message);
          if (random() > 0.2) inFlight.push({ message, at: random() });
          if (random() < 0.1) inFlight.push({ message, at: random() });
        } else if (roll < 0.7 && inFlight.length > 0) {
          inFlight.sort((a, b) => a.at - b.at);
          const { message } = /** @type {{message: any}} */ (inFlight.shift());
          const result = s.receive(message);
          record(result.delivered);
          if (result.needsSync && syncs.length === 0) syncs.push(startSync());
        } else if (roll < 0.85) {
          if (syncs.length === 0) syncs.push(startSync());
        } else if (syncs.length > 0) {
          const { syncId, answer: streamsAnswer } = /** @type {any} */ (syncs.shift());
          const result = s.completeSync(syncId, streamsAnswer);
          assert.deepEqual(result.lost, []);
          record(result.delivered);
          if (result.needsSync) syncs.push(startSync());
        }
      }
      // Quiesce: deliver what is still on the wire, then sync until caught up.
      inFlight = [];
      for (let round = 0; round < 200; round += 1) {
        const { syncId, answer: streamsAnswer } = startSync();
        const result = s.completeSync(syncId, streamsAnswer);
        record(result.delivered);
        if (!result.needsSync) break;
      }
      for (const stream of streams) {
        assert.deepEqual(seen[stream], server[stream].map((m) => m.seq), `${stream} delivered exactly once, in order`);
      }

      function startSync() {
        const { syncId, cursors } = s.beginSync();
        return { syncId, answer: answer(cursors) };
      }
    });
  }
});

describe("Sequencer: epochs (Redis lost data)", () => {
  /** @param {string} stream @param {number} seq @param {string} epoch @param {string} [id] */
  const em = (stream, seq, epoch, id = `${epoch}/${stream}#${seq}`) => ({ id, stream, seq, epoch, payload: seq });
  /** @param {string} stream @param {any[]} messages @param {Partial<import("../src/sequencer.js").StreamPage>} [rest] */
  const epage = (stream, messages, rest = {}) => ({
    messages,
    latestSeq: messages.at(-1)?.seq ?? 0,
    epoch: messages.at(-1)?.epoch,
    recovered: true,
    more: false,
    ...rest,
  });
  /** A sequencer that delivered user:u1 seq 1..3 of epoch "e1". */
  function deliveredThree() {
    const s = new Sequencer();
    const { syncId } = s.beginSync();
    s.completeSync(syncId, { "user:u1": epage("user:u1", [1, 2, 3].map((n) => em("user:u1", n, "e1"))) });
    return s;
  }

  it("sends {seq, epoch} cursors once it knows the epoch", () => {
    const s = deliveredThree();
    assert.deepEqual(s.beginSync().cursors, { "user:u1": { seq: 3, epoch: "e1", id: "e1/user:u1#3" } });
  });

  it("a new epoch's seq 1 live: starts the stream over, reports it lost, delivers it and what follows, and asks for a sync", () => {
    const s = deliveredThree();
    const first = s.receive(em("user:u1", 1, "e2"));
    assert.deepEqual(first.lost, ["user:u1"]);
    assert.deepEqual(seqs(first.delivered), ["user:u1#1"]);
    assert.equal(first.needsSync, true, "a sync finds what else Redis lost (other streams, the session)");
    assert.deepEqual(seqs(s.receive(em("user:u1", 2, "e2")).delivered), ["user:u1#2"]);
    assert.deepEqual(s.cursors()["user:u1"], { seq: 2, epoch: "e2", id: "e2/user:u1#2" });
    // A late push of the old epoch is not delivered.
    assert.deepEqual(s.receive(em("user:u1", 4, "e1")).delivered, []);
  });

  it("a new epoch live after a gap: holds it, and the sync (recovered false) starts the stream over", () => {
    const s = deliveredThree();
    const live = s.receive(em("user:u1", 2, "e2"));
    assert.deepEqual(live, { delivered: [], needsSync: true, lost: [] });
    const { syncId, cursors } = s.beginSync();
    assert.deepEqual(cursors["user:u1"], { seq: 3, epoch: "e1", id: "e1/user:u1#3" });
    const result = s.completeSync(syncId, {
      "user:u1": epage("user:u1", [em("user:u1", 1, "e2"), em("user:u1", 2, "e2")], { recovered: false }),
    });
    assert.deepEqual(result.lost, ["user:u1"]);
    assert.deepEqual(result.delivered.map((m) => m.id), ["e2/user:u1#1", "e2/user:u1#2"]);
    assert.deepEqual(s.cursors()["user:u1"], { seq: 2, epoch: "e2", id: "e2/user:u1#2" });
    assert.equal(result.needsSync, false);
  });

  it("a sync answer of a new epoch (no live message seen) starts the stream over", () => {
    const s = deliveredThree();
    const { syncId } = s.beginSync();
    const result = s.completeSync(syncId, { "user:u1": epage("user:u1", [em("user:u1", 1, "e2")], { recovered: false }) });
    assert.deepEqual(result.lost, ["user:u1"]);
    assert.deepEqual(seqs(result.delivered), ["user:u1#1"]);
  });

  it("a cursor ahead of latestSeq: the answer from the stream's start delivers only what it never delivered", () => {
    const s = deliveredThree();
    // Redis lost seq 3 (delivered here) and nothing came since: the cursor is ahead.
    const { syncId } = s.beginSync();
    const result = s.completeSync(syncId, {
      "user:u1": epage("user:u1", [em("user:u1", 1, "e1"), em("user:u1", 2, "e1")], { recovered: false }),
    });
    assert.deepEqual(result.lost, ["user:u1"]);
    assert.deepEqual(result.delivered, []);
    assert.deepEqual(s.cursors()["user:u1"], { seq: 2, epoch: "e1" });
    // The next message reuses seq 3 with a new id: delivered.
    assert.deepEqual(s.receive(em("user:u1", 3, "e1", "new-3")).delivered.map((m) => m.id), ["new-3"]);
  });

  it("a reused seq with a new id, live, after the stream moved past the cursor: a sync from the start settles it", () => {
    const s = deliveredThree();
    // Redis lost seq 2 and 3; then new-2, new-3 and new-4 were stored. new-3 comes live first.
    const live = s.receive(em("user:u1", 3, "e1", "new-3"));
    assert.deepEqual(live, { delivered: [], needsSync: true, lost: [] });
    assert.deepEqual(s.receive(em("user:u1", 4, "e1", "new-4")).delivered, [], "nothing is delivered while the stream waits to start over");
    const { syncId, cursors } = s.beginSync();
    assert.deepEqual(cursors["user:u1"], { seq: 0, epoch: "e1" });
    const stream = [em("user:u1", 1, "e1"), em("user:u1", 2, "e1", "new-2"), em("user:u1", 3, "e1", "new-3"), em("user:u1", 4, "e1", "new-4")];
    const result = s.completeSync(syncId, { "user:u1": epage("user:u1", stream) });
    assert.deepEqual(result.lost, ["user:u1"]);
    assert.deepEqual(result.delivered.map((m) => m.id), ["new-2", "new-3", "new-4"]);
    assert.equal(result.needsSync, false);
    assert.deepEqual(s.cursors()["user:u1"], { seq: 4, epoch: "e1", id: "new-4" });
  });

  it("a reused seq that never came live: the server sees another id at the cursor and answers from the start", () => {
    const s = deliveredThree();
    const { syncId, cursors } = s.beginSync();
    assert.deepEqual(cursors["user:u1"], { seq: 3, epoch: "e1", id: "e1/user:u1#3" });
    // Redis lost 2 and 3; new-2, new-3, new-4 were stored, and their live pushes were lost.
    const stream = [em("user:u1", 1, "e1"), em("user:u1", 2, "e1", "new-2"), em("user:u1", 3, "e1", "new-3"), em("user:u1", 4, "e1", "new-4")];
    const result = s.completeSync(syncId, { "user:u1": epage("user:u1", stream, { recovered: false }) });
    assert.deepEqual(result.lost, ["user:u1"]);
    assert.deepEqual(result.delivered.map((m) => m.id), ["new-2", "new-3", "new-4"]);
  });

  it("a true duplicate below the cursor is dropped without a sync", () => {
    const s = deliveredThree();
    assert.deepEqual(s.receive(em("user:u1", 2, "e1")), { delivered: [], needsSync: false, lost: [] });
  });

  it("remembers delivered ids across a reload (snapshot), so a restart after it redelivers nothing", () => {
    const before = deliveredThree();
    const s = new Sequencer(JSON.parse(JSON.stringify(before.snapshot())));
    assert.deepEqual(s.cursors(), { "user:u1": { seq: 3, epoch: "e1", id: "e1/user:u1#3" } });
    // Redis lost seq 3 and stored new-3 there: the reused seq shows up live and a sync from the start settles it.
    assert.equal(s.receive(em("user:u1", 3, "e1", "new-3")).needsSync, true);
    const { syncId } = s.beginSync();
    const settled = s.completeSync(syncId, {
      "user:u1": epage("user:u1", [em("user:u1", 1, "e1"), em("user:u1", 2, "e1"), em("user:u1", 3, "e1", "new-3")]),
    });
    assert.deepEqual(settled.delivered.map((m) => m.id), ["new-3"]);
    assert.deepEqual(settled.lost, ["user:u1"]);
  });

  it("keeps at most RECENT_IDS ids per stream in its snapshot", () => {
    const s = new Sequencer();
    const { syncId } = s.beginSync();
    const many = Array.from({ length: RECENT_IDS + 10 }, (_, i) => em("user:u1", i + 1, "e1"));
    s.completeSync(syncId, { "user:u1": epage("user:u1", many) });
    const stored = s.snapshot()["user:u1"];
    assert.equal(stored.recent?.length, RECENT_IDS);
    assert.equal(stored.floor, 10);
  });

  it("reads cursors stored before epochs (numbers) and learns the epoch from the first message", () => {
    const s = new Sequencer({ "user:u1": 3 });
    assert.deepEqual(s.beginSync().cursors, { "user:u1": 3 });
    assert.deepEqual(seqs(s.receive(em("user:u1", 4, "e1")).delivered), ["user:u1#4"]);
    assert.deepEqual(s.cursors(), { "user:u1": { seq: 4, epoch: "e1", id: "e1/user:u1#4" } });
  });
});

describe("Sequencer: exactly once, in order, and nothing silently missing while Redis loses data", () => {
  /** @param {number} seed */
  function prng(seed) {
    let state = seed >>> 0;
    return () => {
      state = (state * 1664525 + 1013904223) >>> 0;
      return state / 2 ** 32;
    };
  }

  for (let seed = 1; seed <= 100; seed += 1) {
    it(`random interleaving with data loss #${seed}`, () => {
      const random = prng(seed * 7919);
      const streams = ["user:u1", "broadcast", "room:r1"];
      let ids = 0;
      let epochs = 0;
      /** The server: per stream its epoch, counter and retained messages (as the real one: stream.lua). */
      /** @type {Record<string, {epoch: string, latest: number, messages: any[]}>} */
      const server = Object.fromEntries(streams.map((stream) => [stream, { epoch: `e${++epochs}`, latest: 0, messages: [] }]));
      /** @type {Map<string, {stream: string, createdAt: number, reusedSeq: boolean, lostAt?: number}>} every message ever stored */
      const created = new Map();
      const usedSeqs = new Set();
      /** @type {{message: any, at: number}[]} */
      let inFlight = [];
      /** @type {{syncId: number, answer: Record<string, any>}[]} */
      const syncs = [];
      const s = new Sequencer();
      /** @type {{stream: string, id: string, seq: number, at: number}[]} */
      const deliveries = [];
      /** @type {{stream: string, at: number}[]} */
      const lostReports = [];
      /** Ids the client was shown (live or in a sync answer): a message Redis lost before that cannot be told apart from one never sent. */
      const shown = new Set();
      /** Every event (store, loss, report, delivery) gets the next tick, so "after" is exact. */
      let now = 0;
      /** @param {{delivered: any[], lost: string[]}} result */
      const record = (result) => {
        for (const stream of result.lost) lostReports.push({ stream, at: ++now });
        for (const m of result.delivered) deliveries.push({ stream: m.stream, id: m.id, seq: m.seq, at: ++now });
      };
      /** @param {Record<string, any>} cursors */
      const answer = (cursors) =>
        Object.fromEntries(
          streams.map((stream) => {
            const st = server[stream];
            const c = cursors[stream];
            const seq = typeof c === "number" ? c : c?.seq ?? 0;
            const epoch = typeof c === "object" ? c.epoch : undefined;
            const atCursor = typeof c === "object" && c.id !== undefined ? st.messages.find((m) => m.seq === seq) : undefined;
            const restart = (epoch !== undefined && epoch !== st.epoch) || seq > st.latest || (atCursor !== undefined && atCursor.id !== c.id);
            const from = restart ? 0 : seq;
            const after = st.messages.filter((m) => m.seq > from);
            const messages = after.slice(0, 3);
            return [stream, { messages, latestSeq: st.latest, epoch: st.epoch, recovered: !restart, more: after.length > 3 }];
          }),
        );
      const startSync = () => {
        const { syncId, cursors } = s.beginSync();
        return { syncId, answer: answer(cursors) };
      };

      for (let step = 0; step < 300; step += 1) {
        now += 1;
        const roll = random();
        const stream = streams[Math.floor(random() * streams.length)];
        if (roll < 0.02) {
          // Redis lost everything: the stream begins again under a new epoch.
          for (const m of server[stream].messages) created.get(m.id).lostAt ??= now;
          server[stream] = { epoch: `e${++epochs}`, latest: 0, messages: [] };
        } else if (roll < 0.05 && server[stream].messages.length > 0) {
          // Redis lost its newest writes: the last K entries, and the counter goes back by K.
          const k = 1 + Math.floor(random() * Math.min(4, server[stream].messages.length));
          for (const m of server[stream].messages.splice(-k)) created.get(m.id).lostAt ??= now;
          server[stream].latest -= k;
        } else if (roll < 0.37) {
          const st = server[stream];
          st.latest += 1;
          const message = { id: `m${++ids}`, stream, seq: st.latest, epoch: st.epoch, payload: ids };
          st.messages.push(message);
          const slot = `${stream}/${st.epoch}/${st.latest}`;
          created.set(message.id, { stream, createdAt: now, reusedSeq: usedSeqs.has(slot) });
          usedSeqs.add(slot);
          if (random() > 0.2) inFlight.push({ message, at: random() });
          if (random() < 0.1) inFlight.push({ message, at: random() });
        } else if (roll < 0.7 && inFlight.length > 0) {
          inFlight.sort((a, b) => a.at - b.at);
          const { message } = /** @type {{message: any}} */ (inFlight.shift());
          shown.add(message.id);
          const result = s.receive(message);
          record(result);
          if (result.needsSync && syncs.length === 0) syncs.push(startSync());
        } else if (roll < 0.85) {
          if (syncs.length === 0) syncs.push(startSync());
        } else if (syncs.length > 0) {
          const { syncId, answer: streamsAnswer } = /** @type {any} */ (syncs.shift());
          for (const page of Object.values(streamsAnswer)) for (const m of page.messages) shown.add(m.id);
          const result = s.completeSync(syncId, streamsAnswer);
          record(result);
          if (result.needsSync) syncs.push(startSync());
        }
      }
      inFlight = [];
      syncs.length = 0;
      for (let round = 0; round < 300; round += 1) {
        const { syncId, answer: streamsAnswer } = startSync();
        const result = s.completeSync(syncId, streamsAnswer);
        record(result);
        if (!result.needsSync) break;
      }

      // Once: no id twice.
      const seen = new Set();
      for (const d of deliveries) {
        assert.ok(!seen.has(d.id), `${d.id} delivered twice`);
        seen.add(d.id);
      }
      // In order: within a stream, seqs go up, except right after the stream was reported lost.
      for (const stream of streams) {
        let last = 0;
        let reportsSeen = 0;
        const reports = lostReports.filter((r) => r.stream === stream);
        for (const d of deliveries.filter((x) => x.stream === stream)) {
          const reportsBy = reports.filter((r) => r.at <= d.at).length;
          if (reportsBy > reportsSeen) {
            reportsSeen = reportsBy;
            last = 0;
          }
          assert.ok(d.seq > last, `${stream}: seq ${d.seq} after ${last} without a recovery-lost in between`);
          last = d.seq;
        }
        // Everything the stream holds at the end was delivered. One case cannot be seen: a seq that Redis lost and
        // used again, whose live push was lost too while the next one came (it looks like the next message).
        for (const m of server[stream].messages) {
          if (created.get(m.id)?.reusedSeq && !shown.has(m.id)) continue;
          assert.ok(seen.has(m.id), `${stream}: ${m.id} (seq ${m.seq}) held by the server, never delivered`);
        }
      }
      // Nothing silently missing: a message Redis lost after the client was shown it was delivered, or its stream
      // was reported lost after it was stored.
      for (const [id, c] of created) {
        if (c.lostAt === undefined || seen.has(id) || !shown.has(id)) continue;
        assert.ok(lostReports.some((r) => r.stream === c.stream && r.at >= c.createdAt), `${id} of ${c.stream} lost silently`);
      }
    });
  }
});
