// Exactly-once, in-order delivery per stream, from two unreliable sources: live pushes
// (best effort, may be duplicated, reordered or lost) and sync pages (the stream is the
// truth). Pure: no SignalR, no fetch, no timers, so every interleaving can be unit tested.

/**
 * @typedef {object} PushMessage
 * @property {string} id
 * @property {string} stream   "user:{userId}", "broadcast" or "room:{roomId}"
 * @property {number} seq      per-stream, increasing from 1
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
 * @property {boolean} recovered false when the cursor was older than what is retained
 * @property {boolean} more      true when another sync would return more
 */

/**
 * @typedef {object} LiveResult
 * @property {PushMessage[]} delivered messages to hand to the app now, in order
 * @property {boolean} needsSync       a gap (or an unknown stream) is waiting for a sync
 */

/**
 * @typedef {object} SyncResult
 * @property {string[]} lost           streams whose history could not be fully recovered
 * @property {PushMessage[]} delivered messages to hand to the app now, in order per stream
 * @property {boolean} needsSync       another sync round is needed (paging or a new gap)
 */

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

export class Sequencer {
  /** Last delivered seq per stream. @type {Map<string, number>} */
  #cursors = new Map();

  /**
   * Live messages that arrived ahead of their stream's cursor (or before the stream had
   * one), by stream then seq. `heldSince` is how many syncs had started when it arrived:
   * only a sync started later is guaranteed to have seen everything before it.
   * @type {Map<string, Map<number, {message: PushMessage, heldSince: number}>>}
   */
  #held = new Map();

  #syncsStarted = 0;

  /** @param {Record<string, number>} [cursors] as returned by `cursors()`, e.g. from storage */
  constructor(cursors = {}) {
    for (const [stream, seq] of Object.entries(cursors ?? {})) {
      if (isSeq(seq)) this.#cursors.set(stream, seq);
    }
  }

  /** @returns {Record<string, number>} a snapshot of the cursors, to persist or to sync with */
  cursors() {
    return Object.fromEntries(this.#cursors);
  }

  /**
   * A live message. Duplicates are dropped; the next message in its stream is delivered
   * (with any held messages it unblocks); anything else is held until a sync fills the gap.
   * @param {PushMessage} message
   * @returns {LiveResult}
   */
  receive(message) {
    if (!isSequencedMessage(message)) throw new TypeError("message needs a stream and a positive integer seq");
    const cursor = this.#cursors.get(message.stream);
    if (cursor !== undefined && message.seq <= cursor) return { delivered: [], needsSync: false };
    this.#hold(message);
    const delivered = this.#drain(message.stream);
    return { delivered, needsSync: this.#held.has(message.stream) };
  }

  /**
   * Call just before sending a sync request.
   * @returns {{syncId: number, cursors: Record<string, number>}}
   */
  beginSync() {
    this.#syncsStarted += 1;
    return { syncId: this.#syncsStarted, cursors: this.cursors() };
  }

  /**
   * Apply a sync response. The response covers every stream the user may read, so a stream
   * missing from it is no longer readable and is forgotten.
   * @param {number} syncId from the matching `beginSync()`
   * @param {Record<string, StreamPage>} streams
   * @returns {SyncResult}
   */
  completeSync(syncId, streams) {
    /** @type {Set<string>} */
    const lost = new Set();
    /** @type {PushMessage[]} */
    const delivered = [];
    let more = false;
    for (const [stream, page] of Object.entries(streams ?? {})) {
      const applied = this.#applyPage(stream, page);
      delivered.push(...applied.delivered);
      if (applied.lost) lost.add(stream);
      more ||= page.more === true;
      if (page.more === true) continue;
      const released = this.#releaseStaleGaps(stream, syncId);
      if (released.length > 0) lost.add(stream);
      delivered.push(...released);
    }
    this.#forgetUnreadable(new Set(Object.keys(streams ?? {})), syncId);
    return { lost: [...lost], delivered, needsSync: more || this.#held.size > 0 };
  }

  /**
   * @param {string} stream
   * @param {StreamPage} page
   * @returns {{delivered: PushMessage[], lost: boolean}}
   */
  #applyPage(stream, page) {
    const known = this.#cursors.has(stream);
    const latestSeq = isSeq(page.latestSeq) ? page.latestSeq : 0;
    // Never moves back: an answer computed before live messages moved the cursor on, or from a
    // lagging server, must not cause a redelivery.
    let cursor = this.#cursors.get(stream) ?? 0;
    const lost = page.recovered === false;

    /** @type {PushMessage[]} */
    const delivered = [];
    for (const message of inSeqOrder(stream, page.messages)) {
      // The sync is the truth: a seq it skips does not exist (any more), so jump over it.
      if (message.seq <= cursor) continue;
      delivered.push(message);
      cursor = message.seq;
    }
    // Without a usable cursor of our own, the server decided where we start: everything up to
    // latestSeq that it did not send counts as received.
    if (page.more !== true && (!known || lost)) cursor = Math.max(cursor, latestSeq);
    this.#cursors.set(stream, cursor);
    delivered.push(...this.#drain(stream));
    return { delivered, lost };
  }

  /** @param {PushMessage} message */
  #hold(message) {
    const held = this.#held.get(message.stream) ?? new Map();
    this.#held.set(message.stream, held);
    if (!held.has(message.seq)) held.set(message.seq, { message, heldSince: this.#syncsStarted });
  }

  /**
   * Deliver held messages that now follow the cursor; drop the ones it has passed.
   * @param {string} stream
   * @returns {PushMessage[]}
   */
  #drain(stream) {
    const held = this.#held.get(stream);
    let cursor = this.#cursors.get(stream);
    if (!held || cursor === undefined) return [];
    for (const seq of held.keys()) if (seq <= cursor) held.delete(seq);
    /** @type {PushMessage[]} */
    const delivered = [];
    for (let next = held.get(cursor + 1); next; next = held.get(cursor + 1)) {
      delivered.push(next.message);
      held.delete(cursor + 1);
      cursor += 1;
    }
    this.#cursors.set(stream, cursor);
    if (held.size === 0) this.#held.delete(stream);
    return delivered;
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
    for (let held = this.#held.get(stream); held; held = this.#held.get(stream)) {
      const first = Math.min(...held.keys());
      if (/** @type {{heldSince: number}} */ (held.get(first)).heldSince >= syncId) break;
      this.#cursors.set(stream, first - 1);
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
    for (const stream of this.#cursors.keys()) {
      if (!readable.has(stream)) this.#cursors.delete(stream);
    }
    for (const [stream, held] of this.#held) {
      if (readable.has(stream)) continue;
      for (const [seq, { heldSince }] of held) if (heldSince < syncId) held.delete(seq);
      if (held.size === 0) this.#held.delete(stream);
    }
  }
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
