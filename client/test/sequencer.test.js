import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Sequencer, isSequencedMessage } from "../src/sequencer.js";

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
