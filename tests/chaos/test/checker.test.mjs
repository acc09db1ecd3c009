// The chaos checker must catch what it claims to: made-up histories with each kind of defect.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkDeliveries } from "../lib/checker.mjs";

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
