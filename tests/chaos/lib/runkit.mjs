// Small pieces both chaos runs use.

/** mulberry32: the fault plan and the random choices come from the seed; their timing does not. */
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Web Storage in memory: one per device, so a device's cursors survive its reconnects and reloads. */
export class MemoryStorage {
  #map = new Map();
  getItem(key) { return this.#map.has(key) ? this.#map.get(key) : null; }
  setItem(key, value) { this.#map.set(key, String(value)); }
  removeItem(key) { this.#map.delete(key); }
}

/** Rejects when `promise` has not settled within `ms` (the promise itself keeps running). */
export function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * The main backend's side of a run: sends at `rate` a second until stopped, each a private, broadcast or room
 * message as `choose()` says ({kind: "private" | "broadcast" | "room", target}), and records every send with its
 * answer: {cid, kind, target, stream, status, seq, id, acceptedStream, error, t0, t1}.
 */
export function startSending(sys, rate, choose) {
  const sends = [];
  const inFlight = new Set();
  let n = 0;
  const sendOne = async () => {
    n += 1;
    const { kind, target } = choose();
    const stream = kind === "private" ? `user:${target}` : kind === "room" ? `room:${target}` : "broadcast";
    const apiPath = kind === "private" ? `/api/users/${target}/messages` : kind === "room" ? `/api/rooms/${target}/messages` : "/api/broadcast";
    const send = { cid: `c${n}`, kind, target, stream, status: null, t0: Date.now() };
    sends.push(send);
    try {
      const res = await sys.api("POST", apiPath, { body: { payload: { cid: send.cid, kind, n } }, timeoutMs: 15_000 });
      send.status = res.status;
      if (res.status === 202) Object.assign(send, { seq: res.body?.seq, id: res.body?.id, acceptedStream: res.body?.stream });
    } catch (err) {
      send.error = err?.cause?.code ?? err?.name ?? "error";
    }
    send.t1 = Date.now();
  };
  const timer = setInterval(() => {
    const p = sendOne();
    inFlight.add(p);
    p.finally(() => inFlight.delete(p));
  }, 1000 / rate);
  return {
    sends,
    /** Stops sending and waits for every answer; resolves with the time sending stopped. */
    async stop() {
      clearInterval(timer);
      const stoppedAt = Date.now();
      await Promise.allSettled([...inFlight]);
      return stoppedAt;
    },
  };
}
