// The chaos run's checker: pure (no I/O), so it can be tested on made-up histories.
//
// Input:
//   sends:   [{cid, kind: "private" | "broadcast" | "room", target, stream, status, seq?, error?}]
//            status: the HTTP status (202 = accepted), or null when the call failed without one
//   devices: [{id, userId, streams: [stream...] (what it reads), startCursors: {stream: seq},
//              deliveries: [{stream, seq, cid}], recoveryLost: [stream...], sessionEnded: reason | null}]
//   audience(send) → the userIds whose devices must get an accepted send
//   latest:  {stream: latestSeq} at the end of the run
//
// What must hold (each a count that must be 0):
//   missing      an accepted send not delivered to a device of its audience
//   duplicates   a device delivered the same message (cid, or stream+seq) more than once
//   outOfOrder   a device delivered a stream's seq at or below one it had delivered before
//   misrouted    a device delivered a message its user was not in the audience of
//   seqMismatch  a device delivered a message at another seq than its 202 said
//   seqReused    two accepted sends were given the same stream+seq (a write the store lost)
//   holes        a seq of a readable stream, after the device's start cursor and up to the
//                stream's latest, that the device never delivered (catches messages stored by
//                sends reported as failed, too: the stream is the truth)
//   recoveryLost the client gave up on part of a stream (`recovery-lost`)
//   sessionsEnded a device's session ended (redirect-to-login) during the run
// Informational: deliveries of sends reported as failed (stored, but the answer was lost), and
// failedButStored: those sends by failure cause.

export function checkDeliveries({ sends, devices, audience, latest }) {
  const accepted = sends.filter((s) => s.status === 202);
  const byCid = new Map(sends.map((s) => [s.cid, s]));
  const counts = {
    sendsAttempted: sends.length,
    accepted: accepted.length,
    failed: sends.length - accepted.length,
    deliveriesExpected: 0,
    delivered: 0,
    missing: 0,
    duplicates: 0,
    outOfOrder: 0,
    misrouted: 0,
    seqMismatch: 0,
    seqReused: 0,
    holes: 0,
    recoveryLost: 0,
    sessionsEnded: 0,
    deliveredFromFailedSends: 0,
    deliveredUnknown: 0,
  };
  const problems = [];
  const note = (kind, detail) => { if (problems.length < 50) problems.push({ kind, ...detail }); };

  // Failed sends, by cause.
  const cause = (s) => (s.status ? `HTTP ${s.status}` : `error ${s.error ?? "unknown"}`);
  const failures = {};
  for (const s of sends) {
    if (s.status !== 202) failures[cause(s)] = (failures[cause(s)] ?? 0) + 1;
  }
  const storedFailed = new Set();

  // Two accepted sends at one stream+seq: the store handed out a seq twice.
  const acceptedAt = new Map();
  for (const s of accepted) {
    const key = `${s.stream}#${s.seq}`;
    const other = acceptedAt.get(key);
    if (other) {
      counts.seqReused += 1;
      note("seqReused", { stream: s.stream, seq: s.seq, cids: [other.cid, s.cid] });
    } else acceptedAt.set(key, s);
  }

  const devicesOf = new Map();
  for (const d of devices) {
    if (!devicesOf.has(d.userId)) devicesOf.set(d.userId, []);
    devicesOf.get(d.userId).push(d);
  }

  for (const d of devices) {
    counts.recoveryLost += d.recoveryLost.length;
    for (const stream of d.recoveryLost) note("recoveryLost", { device: d.id, stream });
    if (d.sessionEnded) {
      counts.sessionsEnded += 1;
      note("sessionEnded", { device: d.id, reason: d.sessionEnded });
    }
    const seenCid = new Set();
    const seenSeq = new Set();
    const lastSeq = new Map();
    d.delivered = new Set();
    for (const m of d.deliveries) {
      const seqKey = `${m.stream}#${m.seq}`;
      const dupCid = m.cid !== undefined && seenCid.has(m.cid);
      const dupSeq = seenSeq.has(seqKey);
      if (dupCid || dupSeq) {
        counts.duplicates += 1;
        note("duplicate", { device: d.id, stream: m.stream, seq: m.seq, cid: m.cid });
        continue;
      }
      if (m.cid !== undefined) seenCid.add(m.cid);
      seenSeq.add(seqKey);
      const prev = lastSeq.get(m.stream);
      if (prev !== undefined && m.seq <= prev) {
        counts.outOfOrder += 1;
        note("outOfOrder", { device: d.id, stream: m.stream, seq: m.seq, after: prev });
      }
      lastSeq.set(m.stream, Math.max(prev ?? 0, m.seq));

      const send = m.cid === undefined ? undefined : byCid.get(m.cid);
      if (!send) {
        counts.deliveredUnknown += 1;
        note("unknown", { device: d.id, stream: m.stream, seq: m.seq, cid: m.cid });
        continue;
      }
      if (!audience(send).includes(d.userId) || m.stream !== send.stream) {
        counts.misrouted += 1;
        note("misrouted", { device: d.id, stream: m.stream, seq: m.seq, cid: m.cid, meantFor: send.stream });
        continue;
      }
      if (send.status !== 202) {
        counts.deliveredFromFailedSends += 1;
        storedFailed.add(send);
        continue;
      }
      if (m.seq !== send.seq) {
        counts.seqMismatch += 1;
        note("seqMismatch", { device: d.id, stream: m.stream, cid: m.cid, delivered: m.seq, accepted: send.seq });
      }
      d.delivered.add(m.cid);
    }

    // Every seq of every stream it reads, from where it started to the end.
    for (const stream of d.streams) {
      const from = (d.startCursors[stream] ?? 0) + 1;
      const to = latest[stream] ?? 0;
      for (let seq = from; seq <= to; seq += 1) {
        if (!seenSeq.has(`${stream}#${seq}`)) {
          counts.holes += 1;
          note("hole", { device: d.id, stream, seq, send: describeSend(acceptedAt.get(`${stream}#${seq}`)) });
        }
      }
    }
  }

  for (const s of accepted) {
    for (const userId of audience(s)) {
      for (const d of devicesOf.get(userId) ?? []) {
        counts.deliveriesExpected += 1;
        if (d.delivered.has(s.cid)) counts.delivered += 1;
        else {
          counts.missing += 1;
          note("missing", { device: d.id, cid: s.cid, stream: s.stream, seq: s.seq });
        }
      }
    }
  }
  for (const d of devices) delete d.delivered;
  // Sends reported as failed whose message was stored anyway (and so delivered), by cause.
  const failedButStored = {};
  for (const s of storedFailed) failedButStored[cause(s)] = (failedButStored[cause(s)] ?? 0) + 1;

  const ok = ["missing", "duplicates", "outOfOrder", "misrouted", "seqMismatch", "seqReused", "holes", "recoveryLost", "sessionsEnded"]
    .every((k) => counts[k] === 0);
  return { ok, counts, failures, failedButStored, problems };
}

function describeSend(s) {
  return s ? `${s.cid} (202)` : "no accepted send has this seq";
}
