// Exactly-once, in-order delivery per stream, from two unreliable sources: live pushes
// (best effort, may be duplicated, reordered or lost) and sync pages (the stream is the
// truth). Pure: no SignalR, no fetch, no timers, so every interleaving can be unit tested.
//
// Redis can lose data. A stream that Redis lost entirely starts again under a new `epoch`;
// one that lost only its newest writes goes back a few seqs in the same epoch, and those
// seqs are used again by new messages. So a seq means something only with its epoch, and a
// message at or below the cursor is a duplicate only if its id is one we delivered.

/**
 * @typedef {object} PushMessage
 * @property {string} id
 * @property {string} stream   "user:{userId}", "broadcast" or "room:{roomId}"
 * @property {number} seq      per-stream, increasing from 1
 * @property {string} [epoch]  the stream's epoch when the message was stored
 * @property {string} [from]
 * @property {unknown} payload
 * @property {string} [sentAt]
 * @property {string} [roomId] room messages only
 * @property {number} [total]  room messages only: members
 * @property {number} [online] room messages only: members online
 */

/**
 * @typedef {object} StreamPage  one stream's part of a `POST /api/sync` response
 * @property {PushMessage[]} messages
 * @property {number} latestSeq
 * @property {string} [epoch]    the stream's epoch
 * @property {boolean} recovered false when the cursor was older than what is retained, from another epoch, or ahead of the stream
 * @property {boolean} more      true when another sync would return more
 */

/**
 * What sync accepts for a stream: a seq, or the seq with its epoch and the id of the message
 * at that seq (so the server can tell a seq that Redis lost and used again).
 * @typedef {number | {seq: number, epoch: string, id?: string}} Cursor
 */

/**
 * @typedef {object} StoredStream  a stream's state as `snapshot()` returns it, to persist
 * @property {number} seq     last delivered (or skipped) seq
 * @property {string} [epoch]
 * @property {[number, string][]} [recent] the last delivered [seq, id] pairs
 * @property {number} [floor] the highest seq forgotten from `recent`: below it, ids are not known
 */

/**
 * @typedef {object} LiveResult
 * @property {PushMessage[]} delivered messages to hand to the app now, in order
 * @property {boolean} needsSync       a gap, a new epoch, a reused seq or an unknown stream is waiting for a sync
 * @property {string[]} lost           streams that began again (a new epoch's seq 1 came live): report before delivering
 */

/**
 * @typedef {object} SyncResult
 * @property {string[]} lost           streams whose history could not be fully recovered (or started over)
 * @property {PushMessage[]} delivered messages to hand to the app now, in order per stream
 * @property {boolean} needsSync       another sync round is needed (paging or a new gap)
 */

/** Ids remembered per stream, to tell a duplicate from a new message at a reused seq. */
export const RECENT_IDS = 128;

/**
 * @param {unknown} message
 * @returns {message is PushMessage}
 */
export function isSequencedMessage(message) {
  const candidate = /** @type {Partial<PushMessage> | null} */ (message);
  return typeof candidate?.stream === "string" && isSeq(candidate.seq) && candidate.seq > 0;
}

/** @param {unknown} value @returns {value is number} */
function isSeq(value) {
  return Number.isSafeInteger(value) && /** @type {number} */ (value) >= 0;
}

/** @param {unknown} value @returns {string | undefined} */
function epochOf(value) {
  return typeof value === "string" && value !== "" ? value : undefined;
}

/** Where a stream stands: its cursor, its epoch, and the ids it delivered last. */
class StreamState {
  /** @param {number} seq @param {string | undefined} epoch @param {[number, string][]} recent @param {number} floor */
  constructor(seq, epoch, recent = [], floor = 0) {
    this.seq = seq;
    this.epoch = epoch;
    /** @type {[number, string][]} oldest first */
    this.recent = recent;
    this.ids = new Set(recent.map(([, id]) => id));
    this.floor = floor;
  }

  /** @param {unknown} stored a number (a cursor from before epochs) or a StoredStream */
  static from(stored) {
    if (isSeq(stored)) return new StreamState(stored, undefined);
    const s = /** @type {Partial<StoredStream> | null} */ (stored);
    if (!s || typeof s !== "object" || !isSeq(s.seq)) return undefined;
    const recent = Array.isArray(s.recent)
      ? s.recent.filter((pair) => Array.isArray(pair) && isSeq(pair[0]) && typeof pair[1] === "string").slice(-RECENT_IDS)
      : [];
    return new StreamState(s.seq, epochOf(s.epoch), recent, isSeq(s.floor) ? s.floor : 0);
  }

  /** @param {PushMessage} message */
  remember(message) {
    this.seq = message.seq;
    this.epoch ??= epochOf(message.epoch);
    if (typeof message.id !== "string" || this.ids.has(message.id)) return;
    this.recent.push([message.seq, message.id]);
    this.ids.add(message.id);
    while (this.recent.length > RECENT_IDS) {
      const [seq, id] = /** @type {[number, string]} */ (this.recent.shift());
      this.ids.delete(id);
      this.floor = Math.max(this.floor, seq);
    }
  }

  /** @param {PushMessage} message whether we delivered another message at its seq (in this epoch) */
  reusedSeq(message) {
    return !this.isOtherEpoch(message) && !this.ids.has(message.id) && this.recent.some(([seq]) => seq === message.seq);
  }

  /** @param {PushMessage} message a message of another epoch than this stream's known one */
  isOtherEpoch(message) {
    const epoch = epochOf(message.epoch);
    return epoch !== undefined && this.epoch !== undefined && epoch !== this.epoch;
  }

  /** @returns {Cursor} with the id of the message at the cursor, when that is the last one delivered */
  cursor() {
    if (this.epoch === undefined) return this.seq;
    const last = this.recent.at(-1);
    return last?.[0] === this.seq ? { seq: this.seq, epoch: this.epoch, id: last[1] } : { seq: this.seq, epoch: this.epoch };
  }
}

export class Sequencer {
  /** @type {Map<string, StreamState>} */
  #streams = new Map();

  /**
   * Live messages not delivered yet: ahead of their stream's cursor, before the stream had
   * one, of another epoch, or waiting for a stream to start over. `heldSince` is how many
   * syncs had started when it arrived: only a sync started later is guaranteed to have seen
   * everything before it.
   * @type {Map<string, {message: PushMessage, heldSince: number}[]>}
   */
  #held = new Map();

  /**
   * Streams to read again from their start (a new message came at a seq already passed: Redis
   * went back), with the number of syncs started when that was seen.
   * @type {Map<string, number>}
   */
  #restarts = new Map();

  /** The cursors each sync in flight sent, to tell a stream that went back from one that moved on. @type {Map<number, Record<string, Cursor>>} */
  #sent = new Map();

  #syncsStarted = 0;

  /** @param {Record<string, unknown>} [stored] as returned by `snapshot()` (or `cursors()`), e.g. from storage */
  constructor(stored = {}) {
    for (const [stream, value] of Object.entries(stored ?? {})) {
      const state = StreamState.from(value);
      if (state) this.#streams.set(stream, state);
    }
  }

  /** @returns {Record<string, Cursor>} the cursors, as sync takes them */
  cursors() {
    return Object.fromEntries([...this.#streams].map(([stream, state]) => [stream, state.cursor()]));
  }

  /** @returns {Record<string, StoredStream>} everything to persist, for `new Sequencer(snapshot)` */
  snapshot() {
    return Object.fromEntries(
      [...this.#streams].map(([stream, s]) => [stream, { seq: s.seq, epoch: s.epoch, recent: s.recent, floor: s.floor }]),
    );
  }

  /**
   * A live message. Duplicates (ids delivered before) are dropped; the next message in its
   * stream is delivered (with any held messages it unblocks); anything else is held until a
   * sync settles it: a gap, another epoch, or a new message at a seq already passed.
   * @param {PushMessage} message
   * @returns {LiveResult}
   */
  receive(message) {
    if (!isSequencedMessage(message)) throw new TypeError("message needs a stream and a positive integer seq");
    const { stream } = message;
    const state = this.#streams.get(stream);
    /** @type {string[]} */
    const lost = [];
    if (state && !state.isOtherEpoch(message)) {
      if (state.ids.has(message.id)) return { delivered: [], needsSync: false, lost };
      if (message.seq <= state.seq) {
        // Without an id there is nothing to tell it by: a duplicate, as before epochs.
        if (typeof message.id !== "string") return { delivered: [], needsSync: false, lost };
        // The first sighting counts: a sync started since then reads the stream from its start.
        if (!this.#restarts.has(stream)) this.#restarts.set(stream, this.#syncsStarted);
      }
    } else if (state && message.seq === 1 && !this.#restarts.has(stream)) {
      // The stream began again and nothing comes before its seq 1: deliver it without waiting for
      // a sync (which may not even be possible: Redis lost the sessions too).
      state.epoch = epochOf(message.epoch);
      state.seq = 0;
      state.floor = 0;
      this.#dropHeldOfOtherEpochs(stream, Infinity);
      lost.push(stream);
    }
    this.#hold(message);
    const delivered = this.#drain(stream);
    // After a stream began again, sync anyway: the other streams, and maybe the session, went with it.
    return { delivered, needsSync: lost.length > 0 || this.#held.has(stream) || this.#restarts.has(stream), lost };
  }

  /**
   * Call just before sending a sync request.
   * @returns {{syncId: number, cursors: Record<string, Cursor>}}
   */
  beginSync() {
    this.#syncsStarted += 1;
    const syncId = this.#syncsStarted;
    const cursors = this.cursors();
    this.#sent.set(syncId, cursors);
    // Syncs that failed never complete: keep only the last few.
    for (const id of this.#sent.keys()) if (id <= syncId - 16) this.#sent.delete(id);
    /** @type {Record<string, Cursor>} */
    const request = { ...cursors };
    for (const stream of this.#restarts.keys()) {
      const state = this.#streams.get(stream);
      if (state) request[stream] = state.epoch === undefined ? 0 : { seq: 0, epoch: state.epoch };
    }
    return { syncId, cursors: request };
  }

  /**
   * Apply a sync response. The response covers every stream the user may read, so a stream
   * missing from it is no longer readable and is forgotten.
   * @param {number} syncId from the matching `beginSync()`
   * @param {Record<string, StreamPage>} streams
   * @returns {SyncResult}
   */
  completeSync(syncId, streams) {
    const sent = this.#sent.get(syncId) ?? this.cursors();
    this.#sent.delete(syncId);
    /** @type {Set<string>} */
    const lost = new Set();
    /** @type {PushMessage[]} */
    const delivered = [];
    let more = false;
    for (const [stream, page] of Object.entries(streams ?? {})) {
      const applied = this.#applyPage(stream, page, syncId, sent[stream]);
      delivered.push(...applied.delivered);
      if (applied.lost) lost.add(stream);
      more ||= page.more === true;
      if (page.more === true) continue;
      const released = this.#releaseStaleGaps(stream, syncId);
      if (released.length > 0) lost.add(stream);
      delivered.push(...released);
    }
    this.#forgetUnreadable(new Set(Object.keys(streams ?? {})), syncId);
    return { lost: [...lost], delivered, needsSync: more || this.#held.size > 0 || this.#restarts.size > 0 };
  }

  /**
   * @param {string} stream
   * @param {StreamPage} page
   * @param {number} syncId
   * @param {Cursor | undefined} sentCursor what this sync sent for the stream
   * @returns {{delivered: PushMessage[], lost: boolean}}
   */
  #applyPage(stream, page, syncId, sentCursor) {
    let state = this.#streams.get(stream);
    const known = state !== undefined;
    const latestSeq = isSeq(page.latestSeq) ? page.latestSeq : 0;
    const epoch = epochOf(page.epoch);
    let lost = page.recovered === false;

    // Start over: the stream was asked for from its start, is of another epoch (Redis lost it
    // and it began again), or ends before the cursor this sync sent (Redis lost its newest
    // writes). What it holds now is delivered, except ids already delivered.
    const restartAt = this.#restarts.get(stream);
    const askedFromStart = restartAt !== undefined && restartAt < syncId;
    if (askedFromStart) this.#restarts.delete(stream);
    const newEpoch = state?.epoch !== undefined && epoch !== undefined && epoch !== state.epoch;
    const sentSeq = typeof sentCursor === "number" ? sentCursor : sentCursor?.seq;
    // The server answers from the stream's start (recovered false) when the cursor's seq is past
    // the stream's end or holds another message than the one we delivered there.
    const wentBack = !newEpoch && sentSeq !== undefined && (latestSeq < sentSeq || (lost && startsFromBefore(page, sentSeq)));
    const startOver = known && (askedFromStart || newEpoch || wentBack);
    if (startOver) {
      lost = true;
      state = /** @type {StreamState} */ (state);
      // Of a new epoch every message is new; in the same one, below `floor` ids are not known
      // and those messages were delivered before what is remembered.
      if (newEpoch) state.floor = 0;
      state.seq = 0;
      state.epoch = epoch ?? state.epoch;
      // What was held before this sync started is in this answer or its next pages, if it still exists.
      this.#dropHeld(stream, (h) => h.heldSince < syncId);
    }
    state ??= new StreamState(0, epoch);
    this.#streams.set(stream, state);

    /** @type {PushMessage[]} */
    const delivered = [];
    // Never moves back (outside a start over): an answer computed before live messages moved
    // the cursor on, or from a lagging server, must not cause a redelivery.
    let cursor = state.seq;
    for (const message of inSeqOrder(stream, page.messages)) {
      if (message.seq <= cursor) {
        // Another message than the one we delivered at this seq: Redis went back and used it again.
        if (!startOver && state.reusedSeq(message) && !this.#restarts.has(stream)) this.#restarts.set(stream, this.#syncsStarted);
        continue;
      }
      // The sync is the truth: a seq it skips does not exist (any more), so jump over it.
      cursor = message.seq;
      if (state.ids.has(message.id) || (startOver && !newEpoch && message.seq <= state.floor)) continue;
      delivered.push(message);
      state.remember(message);
    }
    // Without a usable cursor of our own, the server decided where we start: everything up to
    // latestSeq that it did not send counts as received.
    if (page.more !== true && (!known || lost)) cursor = Math.max(cursor, latestSeq);
    state.seq = cursor;
    state.epoch ??= epoch;
    this.#dropHeldOfOtherEpochs(stream, syncId);
    delivered.push(...this.#drain(stream));
    return { delivered, lost };
  }

  /** @param {PushMessage} message */
  #hold(message) {
    const held = this.#held.get(message.stream) ?? [];
    this.#held.set(message.stream, held);
    const same = held.findIndex((h) => h.message.id === message.id && h.message.seq === message.seq);
    if (same < 0) held.push({ message, heldSince: this.#syncsStarted });
  }

  /**
   * Deliver held messages that now follow the cursor; drop the ones it has passed and the
   * ones already delivered. Nothing is delivered while the stream waits to start over.
   * @param {string} stream
   * @returns {PushMessage[]}
   */
  #drain(stream) {
    const held = this.#held.get(stream);
    const state = this.#streams.get(stream);
    if (!held || !state || this.#restarts.has(stream)) return [];
    const passed = (/** @type {PushMessage} */ m) => state.ids.has(m.id) || (!state.isOtherEpoch(m) && m.seq <= state.seq);
    /** @type {PushMessage[]} */
    const delivered = [];
    for (;;) {
      // Another message was delivered at a held one's seq: Redis went back and used the seq again. Only a read
      // from the start tells which of the two the stream holds now.
      if (held.some((h) => passed(h.message) && state.reusedSeq(h.message))) {
        this.#restarts.set(stream, this.#syncsStarted);
        break;
      }
      for (let i = held.length - 1; i >= 0; i -= 1) if (passed(held[i].message)) held.splice(i, 1);
      const next = held.findIndex((h) => !state.isOtherEpoch(h.message) && h.message.seq === state.seq + 1);
      if (next < 0) break;
      if (held.some((h, i) => i !== next && !state.isOtherEpoch(h.message) && h.message.seq === state.seq + 1)) {
        // Two messages at one seq: Redis went back and used it again. Only a read from the start tells which is real.
        this.#restarts.set(stream, this.#syncsStarted);
        break;
      }
      const [{ message }] = held.splice(next, 1);
      delivered.push(message);
      state.remember(message);
    }
    if (held.length === 0) this.#held.delete(stream);
    return delivered;
  }

  /**
   * Held messages of another epoch than the one a sync just reported: if they were held
   * before the sync started, the sync saw their epoch go (they were lost with it).
   * @param {string} stream
   * @param {number} syncId
   */
  #dropHeldOfOtherEpochs(stream, syncId) {
    const state = this.#streams.get(stream);
    if (state) this.#dropHeld(stream, (h) => h.heldSince < syncId && state.isOtherEpoch(h.message));
  }

  /**
   * @param {string} stream
   * @param {(held: {message: PushMessage, heldSince: number}) => boolean} predicate
   */
  #dropHeld(stream, predicate) {
    const held = this.#held.get(stream);
    if (!held) return;
    for (let i = held.length - 1; i >= 0; i -= 1) if (predicate(held[i])) held.splice(i, 1);
    if (held.length === 0) this.#held.delete(stream);
  }

  /**
   * A sync that started after a message was held, and reached the end of its stream, would
   * have returned anything before it: a gap still open is a hole that will never fill (a
   * server-side loss). Skip over it rather than syncing forever.
   * @param {string} stream
   * @param {number} syncId
   * @returns {PushMessage[]}
   */
  #releaseStaleGaps(stream, syncId) {
    /** @type {PushMessage[]} */
    const released = [];
    const state = this.#streams.get(stream);
    if (!state || this.#restarts.has(stream)) return released;
    for (let held = this.#held.get(stream); held && !this.#restarts.has(stream); held = this.#held.get(stream)) {
      const candidates = held.filter((h) => !state.isOtherEpoch(h.message));
      if (candidates.length === 0) break;
      const first = candidates.reduce((a, b) => (b.message.seq < a.message.seq ? b : a));
      if (first.heldSince >= syncId) break;
      state.seq = first.message.seq - 1;
      released.push(...this.#drain(stream));
    }
    return released;
  }

  /**
   * Drop cursors of streams the user can no longer read (a cursor for one would make the next
   * sync fail with 403), and held messages for them that this sync should have covered.
   * Messages held after the sync started are kept: they may belong to a room just joined.
   * @param {Set<string>} readable
   * @param {number} syncId
   */
  #forgetUnreadable(readable, syncId) {
    for (const stream of this.#streams.keys()) {
      if (!readable.has(stream)) {
        this.#streams.delete(stream);
        this.#restarts.delete(stream);
      }
    }
    for (const stream of this.#held.keys()) {
      if (!readable.has(stream)) this.#dropHeld(stream, (h) => h.heldSince < syncId);
    }
  }
}

/**
 * Whether a page starts at or before a seq: an answer from the stream's start, not from after the cursor.
 * @param {StreamPage} page
 * @param {number} seq
 */
function startsFromBefore(page, seq) {
  return (page.messages ?? []).some((m) => isSeq(m?.seq) && m.seq <= seq);
}

/**
 * @param {string} stream
 * @param {PushMessage[] | undefined} messages
 * @returns {PushMessage[]} valid messages, tagged with their stream, sorted by seq
 */
function inSeqOrder(stream, messages) {
  return (messages ?? [])
    .map((message) => (message?.stream === undefined ? { ...message, stream } : message))
    .filter(isSequencedMessage)
    .sort((a, b) => a.seq - b.seq);
}
