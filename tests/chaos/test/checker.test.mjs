// The chaos checker must catch what it claims to: made-up histories with each kind of defect.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkDataLoss, checkDeliveries } from "../lib/checker.mjs";

const users = ["a", "b"];
const audience = (s) => (s.kind === "private" ? [s.target] : users);
const send = (cid, kind, target, stream, seq, status = 202) => ({ cid, kind, target, stream, seq, status });
const device = (id, userId, deliveries, extra = {}) => ({
  id, userId, streams: [`user:${userId}`, "broadcast"], startCursors: { [`user:${userId}`]: 0, broadcast: 0 },
  deliveries: deliveries.map(([stream, seq, cid]) => ({ stream, seq, cid })), recoveryLost: [], sessionEnded: null, ...extra,
});
const sends = [
  send("c1", "private", "a", "user:a", 1),
  send("c2", "broadcast", null, "broadcast", 1),
  send("c3", "private", "a", "user:a", 2),
  send("c4", "broadcast", null, "broadcast", 2, 503),
  { cid: "c5", kind: "private", target: "b", stream: "user:b", status: null, error: "ECONNREFUSED" },
];
const latest = { "user:a": 2, "user:b": 0, broadcast: 1 };
const perfect = () => [
  device("a/1", "a", [["user:a", 1, "c1"], ["broadcast", 1, "c2"], ["user:a", 2, "c3"]]),
  device("b/1", "b", [["broadcast", 1, "c2"]]),
];

describe("chaos checker", () => {
  it("passes a perfect history and counts it", () => {
    const r = checkDeliveries({ sends, devices: perfect(), audience, latest });
    assert.ok(r.ok, JSON.stringify(r));
    assert.deepEqual(
      [r.counts.sendsAttempted, r.counts.accepted, r.counts.failed, r.counts.deliveriesExpected, r.counts.delivered],
      [5, 3, 2, 4, 4]);
    assert.deepEqual(r.failures, { "HTTP 503": 1, "error ECONNREFUSED": 1 });
  });

  it("catches a missing delivery (and the hole it leaves)", () => {
    const devices = perfect();
    devices[1].deliveries = [];
    const r = checkDeliveries({ sends, devices, audience, latest });
    assert.equal(r.ok, false);
    assert.equal(r.counts.missing, 1);
    assert.equal(r.counts.holes, 1);
  });

  it("catches a duplicate, by id or by seq", () => {
    const devices = perfect();
    devices[0].deliveries.push({ stream: "user:a", seq: 2, cid: "c3" });
    devices[1].deliveries.push({ stream: "broadcast", seq: 1, cid: "other" });
    const r = checkDeliveries({ sends, devices, audience, latest });
    assert.equal(r.counts.duplicates, 2);
    assert.equal(r.ok, false);
  });

  it("catches out-of-order delivery", () => {
    const devices = perfect();
    devices[0].deliveries = [devices[0].deliveries[2], devices[0].deliveries[1], devices[0].deliveries[0]];
    const r = checkDeliveries({ sends, devices, audience, latest });
    assert.equal(r.counts.outOfOrder, 1);
    assert.equal(r.ok, false);
  });

  it("catches misrouting, seq mismatch, seq reuse, recovery-lost and ended sessions", () => {
    const devices = perfect();
    devices[1].deliveries.push({ stream: "user:a", seq: 1, cid: "c1" });
    devices[0].recoveryLost.push("broadcast");
    devices[1].sessionEnded = "session_revoked";
    const reused = [...sends, send("c6", "private", "a", "user:a", 2)];
    const r = checkDeliveries({ sends: reused, devices, audience, latest });
    assert.equal(r.counts.misrouted, 1);
    assert.equal(r.counts.seqReused, 1);
    assert.equal(r.counts.recoveryLost, 1);
    assert.equal(r.counts.sessionsEnded, 1);
    const shifted = perfect();
    shifted[0].deliveries[2] = { stream: "user:a", seq: 3, cid: "c3" };
    const m = checkDeliveries({ sends, devices: shifted, audience, latest: { ...latest, "user:a": 3 } });
    assert.equal(m.counts.seqMismatch, 1);
    assert.equal(m.counts.holes, 1);
  });

  it("accepts delivery of a send reported as failed, and still wants every stored seq", () => {
    const devices = perfect();
    devices[0].deliveries.push({ stream: "broadcast", seq: 2, cid: "c4" });
    devices[1].deliveries.push({ stream: "broadcast", seq: 2, cid: "c4" });
    const r = checkDeliveries({ sends, devices, audience, latest: { ...latest, broadcast: 2 } });
    assert.ok(r.ok, JSON.stringify(r.problems));
    assert.equal(r.counts.deliveredFromFailedSends, 2);
    devices[1].deliveries.pop();
    assert.equal(checkDeliveries({ sends, devices, audience, latest: { ...latest, broadcast: 2 } }).counts.holes, 1);
  });
});

describe("data-loss checker", () => {
  const users2 = ["a", "b"];
  const audience2 = (s) => (s.kind === "private" ? [s.target] : users2);
  // a/1 is signed in from t=0 to the end; c1 (seq 1) and c2 (seq 2) are lost by a partial loss, c3 and c4 reuse seqs 2, 3.
  const lossSends = [
    { cid: "c1", kind: "private", target: "a", stream: "user:a", status: 202, seq: 1, t0: 1, t1: 2, lost: "partial" },
    { cid: "c2", kind: "private", target: "a", stream: "user:a", status: 202, seq: 2, t0: 3, t1: 4, lost: "partial" },
    { cid: "c3", kind: "private", target: "a", stream: "user:a", status: 202, seq: 1, t0: 5, t1: 6 },
    { cid: "c4", kind: "private", target: "a", stream: "user:a", status: 202, seq: 2, t0: 7, t1: 8 },
  ];
  const msgEvent = (ord, cid, seq) => ({ ord, type: "message", stream: "user:a", seq, epoch: "e1", cid });
  const life = (events, extra = {}) => ({
    id: "a/1#1", userId: "a", streams: ["user:a"], startedAt: 0, endedAt: null, endReason: null,
    startCursors: { "user:a": { seq: 0, epoch: "e1" } }, events, at: Object.fromEntries(events.map((e) => [e.ord, e.ord * 2])), ...extra,
  });
  const end = { "user:a": { seq: 2, epoch: "e1" } };

  it("passes a history where the lost messages were delivered, then reported, and the new ones delivered once", () => {
    const events = [msgEvent(1, "c1", 1), msgEvent(2, "c2", 2), { ord: 3, type: "recovery-lost", stream: "user:a" }, msgEvent(4, "c3", 1), msgEvent(5, "c4", 2)];
    const r = checkDataLoss({ sends: lossSends, lives: [life(events)], audience: audience2, latest: end });
    assert.ok(r.ok, JSON.stringify(r));
    assert.deepEqual([r.counts.lostExpected, r.counts.lostDelivered, r.counts.acceptedAfterStartDelivered], [2, 2, 2]);
  });

  it("catches a lost message neither delivered nor reported, and a reused seq delivered without recovery-lost", () => {
    const events = [msgEvent(1, "c1", 1), msgEvent(4, "c3", 1), msgEvent(5, "c4", 2)];
    const r = checkDataLoss({ sends: lossSends, lives: [life(events)], audience: audience2, latest: end });
    assert.equal(r.ok, false);
    assert.equal(r.counts.lostSilently, 1);
    assert.equal(r.counts.outOfOrder, 1);
  });

  it("counts a lost message as reported when the session ended after it, and requires nothing more of that life", () => {
    const r = checkDataLoss({ sends: lossSends, lives: [life([msgEvent(1, "c1", 1)], { endedAt: 5, endReason: "session_invalid" })], audience: audience2, latest: end });
    assert.ok(r.ok, JSON.stringify(r));
    assert.equal(r.counts.lostReportedBySessionEnd, 1);
  });

  it("catches a new message missing on a life signed in to the end, and the hole it leaves", () => {
    const events = [msgEvent(1, "c1", 1), msgEvent(2, "c2", 2), { ord: 3, type: "recovery-lost", stream: "user:a" }, msgEvent(4, "c3", 1)];
    const r = checkDataLoss({ sends: lossSends, lives: [life(events)], audience: audience2, latest: end });
    assert.equal(r.ok, false);
    assert.deepEqual([r.counts.missing, r.counts.holes], [1, 1]);
  });

  it("catches a duplicate", () => {
    const events = [msgEvent(1, "c1", 1), msgEvent(2, "c2", 2), { ord: 3, type: "recovery-lost", stream: "user:a" }, msgEvent(4, "c3", 1), msgEvent(5, "c4", 2), msgEvent(6, "c4", 2)];
    const r = checkDataLoss({ sends: lossSends, lives: [life(events)], audience: audience2, latest: end });
    assert.equal(r.counts.duplicates, 1);
    assert.equal(r.ok, false);
  });
});
