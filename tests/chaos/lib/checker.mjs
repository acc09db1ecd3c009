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

// ---- the data-loss run ---------------------------------------------------------------------------------
//
// Redis loses data on purpose: a partial loss (a stream's newest K entries deleted and its counter set back
// by K) and a restart without persistence (everything gone, sessions too: devices are sent to login and sign
// in again). A device's life is one session: from its first sync to its redirect-to-login (or the end).
//
// Input:
//   sends: [{cid, kind, target, stream, status, seq?, t0, t1, lost?: "partial" | "wipe"}]
//   lives: [{id, userId, streams, startedAt, endedAt (null: signed in to the end), endReason,
//            startCursors: {stream: {seq, epoch}}, events: [{ord, type: "message", stream, seq, epoch, cid}
//            | {ord, type: "recovery-lost", stream} ], at: {ord: time}}]  (events in the order the app saw them)
//   audience(send) → userIds;  latest: {stream: {seq, epoch}} at the end
//
// What must hold (each a count that must be 0):
//   missing       an accepted send (not lost) made after a life began, not delivered in it, on a life that
//                 stayed signed in to the end
//   holes         a seq of the final epoch, after the life's start, up to latest, never delivered (same lives)
//   duplicates    a life delivered the same message (cid) twice
//   outOfOrder    a life delivered a stream's seq at or below the one before, without recovery-lost in between
//   misrouted     a life delivered a message its user was not in the audience of
//   lostSilently  a message lost with Redis's data, sent while a life of its audience was signed in, that this
//                 life neither delivered nor reported (recovery-lost on its stream, or the session ending, after it)
export function checkDataLoss({ sends, lives, audience, latest }) {
  const accepted = sends.filter((s) => s.status === 202);
  const byCid = new Map(sends.map((s) => [s.cid, s]));
  const counts = {
    sendsAttempted: sends.length, accepted: accepted.length, failed: sends.length - accepted.length,
    lives: lives.length, livesSignedInToTheEnd: lives.filter((l) => l.endedAt === null).length,
    sessionsEnded: lives.filter((l) => l.endedAt !== null).length,
    acceptedAfterStartExpected: 0, acceptedAfterStartDelivered: 0, missing: 0, holes: 0,
    duplicates: 0, outOfOrder: 0, misrouted: 0, recoveryLost: 0,
    lostPartial: accepted.filter((s) => s.lost === "partial").length,
    lostWipe: accepted.filter((s) => s.lost === "wipe").length,
    lostExpected: 0, lostDelivered: 0, lostReportedByRecoveryLost: 0, lostReportedBySessionEnd: 0, lostSilently: 0,
  };
  const problems = [];
  const note = (kind, detail) => { if (problems.length < 50) problems.push({ kind, ...detail }); };

  for (const life of lives) {
    const deliveredCids = new Map(); // cid → ord
    const lastSeq = new Map();
    const seen = new Set();
    for (const e of life.events) {
      if (e.type === "recovery-lost") {
        counts.recoveryLost += 1;
        lastSeq.delete(e.stream);
        continue;
      }
      if (e.cid !== undefined && deliveredCids.has(e.cid)) {
        counts.duplicates += 1;
        note("duplicate", { life: life.id, stream: e.stream, seq: e.seq, cid: e.cid });
        continue;
      }
      if (e.cid !== undefined) deliveredCids.set(e.cid, e.ord);
      // A lost message's seq was used again: only what the stream still holds fills it.
      if (!byCid.get(e.cid)?.lost) seen.add(`${e.stream}#${e.epoch}#${e.seq}`);
      const prev = lastSeq.get(e.stream);
      if (prev !== undefined && e.seq <= prev) {
        counts.outOfOrder += 1;
        note("outOfOrder", { life: life.id, stream: e.stream, seq: e.seq, after: prev });
      }
      lastSeq.set(e.stream, e.seq);
      const send = byCid.get(e.cid);
      if (send && (!audience(send).includes(life.userId) || send.stream !== e.stream)) {
        counts.misrouted += 1;
        note("misrouted", { life: life.id, stream: e.stream, cid: e.cid });
      }
    }
    const reportedAfter = (stream, t) => life.events.some((e) => e.type === "recovery-lost" && e.stream === stream && life.at[e.ord] >= t);
    const mine = (s) => audience(s).includes(life.userId);

    // Lost with Redis's data while this life was signed in: delivered, or reported, never silently missing.
    for (const s of accepted) {
      if (!s.lost || !mine(s) || s.t0 < life.startedAt || (life.endedAt !== null && s.t1 > life.endedAt)) continue;
      counts.lostExpected += 1;
      if (deliveredCids.has(s.cid)) counts.lostDelivered += 1;
      else if (reportedAfter(s.stream, s.t0)) counts.lostReportedByRecoveryLost += 1;
      else if (life.endedAt !== null && life.endedAt >= s.t0) counts.lostReportedBySessionEnd += 1;
      else {
        counts.lostSilently += 1;
        note("lostSilently", { life: life.id, cid: s.cid, stream: s.stream, seq: s.seq, lost: s.lost });
      }
    }
    if (life.endedAt !== null) continue;

    // Signed in to the end: everything accepted after it began and not lost, once.
    for (const s of accepted) {
      if (s.lost || !mine(s) || s.t0 < life.startedAt) continue;
      counts.acceptedAfterStartExpected += 1;
      if (deliveredCids.has(s.cid)) counts.acceptedAfterStartDelivered += 1;
      else {
        counts.missing += 1;
        note("missing", { life: life.id, cid: s.cid, stream: s.stream, seq: s.seq });
      }
    }
    for (const stream of life.streams) {
      const end = latest[stream];
      if (!end) continue;
      const start = life.startCursors[stream]?.epoch === end.epoch ? life.startCursors[stream].seq : 0;
      for (let seq = start + 1; seq <= end.seq; seq += 1) {
        if (!seen.has(`${stream}#${end.epoch}#${seq}`)) {
          counts.holes += 1;
          note("hole", { life: life.id, stream, seq, epoch: end.epoch });
        }
      }
    }
  }
  const ok = ["missing", "holes", "duplicates", "outOfOrder", "misrouted", "lostSilently"].every((k) => counts[k] === 0);
  return { ok, counts, problems };
}
