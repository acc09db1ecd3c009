// Test doubles: Web Storage, the @microsoft/signalr module, and the PushFunctions sync endpoint.

export class FakeStorage {
  /** @type {Map<string, string>} */
  items = new Map();

  /** @param {string} key */
  getItem(key) {
    return this.items.has(key) ? /** @type {string} */ (this.items.get(key)) : null;
  }

  /** @param {string} key @param {string} value */
  setItem(key, value) {
    this.items.set(key, String(value));
  }

  /** @param {string} key */
  removeItem(key) {
    this.items.delete(key);
  }
}

/** A logger that keeps what it is told, so tests stay quiet and can still look. */
export class MemoryLogger {
  /** @type {unknown[][]} */
  lines = [];
  debug = (/** @type {unknown[]} */ ...args) => this.lines.push(["debug", ...args]);
  warn = (/** @type {unknown[]} */ ...args) => this.lines.push(["warn", ...args]);
  error = (/** @type {unknown[]} */ ...args) => this.lines.push(["error", ...args]);
}

/**
 * A stand-in for the @microsoft/signalr module: just enough of HubConnectionBuilder and
 * HubConnection for PushClient, plus knobs for tests.
 */
export function fakeSignalR() {
  /** @type {FakeHubConnection[]} */
  const connections = [];
  class HubConnectionBuilder {
    /** @param {string} url @param {any} options */
    withUrl(url, options) {
      Object.assign(this, { url, options });
      return this;
    }
    /** @param {any} policy */
    withAutomaticReconnect(policy) {
      Object.assign(this, { policy });
      return this;
    }
    configureLogging() {
      return this;
    }
    build() {
      const connection = new FakeHubConnection(/** @type {any} */ (this));
      connections.push(connection);
      return connection;
    }
  }
  return { HubConnectionBuilder, connections, LogLevel: { Warning: 3, Error: 4 } };
}

export class FakeHubConnection {
  state = "Disconnected";
  /** @type {Map<string, Function[]>} */
  handlers = new Map();
  /** @type {{reconnecting: Function[], reconnected: Function[], close: Function[]}} */
  lifecycle = { reconnecting: [], reconnected: [], close: [] };
  /** Errors that the next start() calls throw, one per call. @type {Error[]} */
  startFailures = [];
  startCalls = 0;
  stopCalls = 0;
  /** @type {string | null} */
  connectionId = null;
  /** Every invoke(): the method, the connection it went over, and when. @type {{method: string, connectionId: string | null}[]} */
  invocations = [];
  /** Errors that the next invoke() calls throw, one per call; `"hang"` never answers. @type {(Error | "hang")[]} */
  invokeFailures = [];

  /** @param {{url: string, options: any, policy: any}} built */
  constructor(built) {
    this.url = built.url;
    this.options = built.options;
    this.policy = built.policy;
  }

  /** @param {string} target @param {Function} handler */
  on(target, handler) {
    this.handlers.set(target, [...(this.handlers.get(target) ?? []), handler]);
  }
  /** @param {Function} handler */
  onreconnecting(handler) {
    this.lifecycle.reconnecting.push(handler);
  }
  /** @param {Function} handler */
  onreconnected(handler) {
    this.lifecycle.reconnected.push(handler);
  }
  /** @param {Function} handler */
  onclose(handler) {
    this.lifecycle.close.push(handler);
  }

  async start() {
    this.startCalls += 1;
    await this.options.accessTokenFactory();
    const failure = this.startFailures.shift();
    if (failure) throw failure;
    this.state = "Connected";
    this.connectionId = `connection-${this.startCalls}`;
  }

  /** @param {string} method */
  async invoke(method) {
    this.invocations.push({ method, connectionId: this.connectionId });
    const failure = this.invokeFailures.shift();
    if (failure === "hang") return new Promise(() => {});
    if (failure) throw failure;
    return null;
  }

  async stop() {
    this.stopCalls += 1;
    if (this.state === "Disconnected") return;
    this.state = "Disconnected";
    for (const handler of this.lifecycle.close) handler(undefined);
  }

  // ---- test knobs ----

  /** The server invokes a client method. @param {string} target @param {unknown} argument */
  push(target, argument) {
    for (const handler of this.handlers.get(target) ?? []) handler(argument);
  }

  /** The transport drops and SignalR's automatic reconnect brings it back. */
  dropAndReconnect() {
    this.state = "Reconnecting";
    for (const handler of this.lifecycle.reconnecting) handler(new Error("transport lost"));
    this.state = "Connected";
    this.connectionId = `${this.connectionId}-reconnected`;
    for (const handler of this.lifecycle.reconnected) handler(this.connectionId);
  }

  /** The server closes the connection without allowing a reconnect. */
  closeFromServer() {
    this.state = "Disconnected";
    for (const handler of this.lifecycle.close) handler(new Error("Server closed the connection"));
  }
}

/**
 * The sync endpoint over in-memory streams, with per-user server cursors, trimming, paging,
 * scripted failures and a gate that holds answers back (the answer is computed when the
 * request arrives, like a real server, and released later).
 */
export class FakeSyncServer {
  /** @type {Map<string, {messages: any[], latestSeq: number, trimmedThrough: number}>} */
  streams = new Map();
  /** Server-side per-user cursors, used for streams the client sends no cursor for. */
  serverCursors = new Map();
  /** @type {{url: string, headers: Record<string, string>, cursors: Record<string, number>}[]} */
  requests = [];
  pageSize = 500;
  /** Statuses for the next requests, one per request (default: 200, or 403 for a cursor of an unreadable stream). @type {number[]} */
  statuses = [];
  /** @type {Promise<void> | null} */
  gate = null;
  inFlight = 0;
  maxInFlight = 0;
  #ids = 0;

  /** @param {string[]} readable streams this user may read */
  constructor(readable = ["user:u1", "broadcast"]) {
    for (const stream of readable) this.addStream(stream);
  }

  /** @param {string} stream @param {string} [epoch] set to give the stream's messages and answers an epoch */
  addStream(stream, epoch) {
    this.streams.set(stream, { messages: [], latestSeq: 0, trimmedThrough: 0, epoch });
  }

  /** Redis lost everything: every stream begins again, empty, under a new epoch. @param {string} epoch */
  wipe(epoch) {
    for (const stream of [...this.streams.keys()]) this.addStream(stream, epoch);
    this.serverCursors.clear();
  }

  /** Redis lost the newest writes: the last k messages, and the counter goes back by k. @param {string} stream @param {number} k */
  rewind(stream, k) {
    const state = /** @type {any} */ (this.streams.get(stream));
    state.messages.splice(-k);
    state.latestSeq -= k;
  }

  /** @param {string} stream */
  removeStream(stream) {
    this.streams.delete(stream);
  }

  /**
   * Append to a stream; returns the message as it would be pushed live.
   * @param {string} stream
   * @param {unknown} [payload]
   */
  append(stream, payload = {}) {
    const state = /** @type {any} */ (this.streams.get(stream));
    state.latestSeq += 1;
    const seq = state.latestSeq;
    const id = state.epoch === undefined ? `${stream}#${seq}` : `${state.epoch}/${stream}#${seq}#${++this.#ids}`;
    const message = { id, stream, seq, from: "server", payload, sentAt: new Date(0).toISOString() };
    if (state.epoch !== undefined) Object.assign(message, { epoch: state.epoch });
    if (stream.startsWith("room:")) Object.assign(message, { roomId: stream.slice(5), total: 2, online: 1 });
    state.messages.push(message);
    return message;
  }

  /** Forget messages up to and including seq, as retention would. @param {string} stream @param {number} seq */
  trim(stream, seq) {
    const state = /** @type {any} */ (this.streams.get(stream));
    state.messages = state.messages.filter((/** @type {any} */ m) => m.seq > seq);
    state.trimmedThrough = seq;
  }

  /** Hold answers back until the returned function is called. */
  hold() {
    /** @type {() => void} */
    let release = () => {};
    this.gate = new Promise((resolve) => {
      release = () => {
        this.gate = null;
        resolve();
      };
    });
    return release;
  }

  /** @type {typeof fetch} */
  fetch = async (input, init) => {
    const url = String(input);
    const headers = /** @type {Record<string, string>} */ (init?.headers ?? {});
    const { cursors } = JSON.parse(String(init?.body ?? "{}"));
    this.requests.push({ url, headers, cursors });
    const forbidden = Object.keys(cursors).some((stream) => !this.streams.has(stream));
    const status = this.statuses.shift() ?? (forbidden ? 403 : 200);
    const body = status === 200 ? this.#answer(cursors) : { title: `status ${status}` };
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      if (this.gate) await this.gate;
    } finally {
      this.inFlight -= 1;
    }
    return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
  };

  /**
   * As the real sync: a cursor (a number or {seq, epoch, id}) of another epoch, ahead of the stream, or whose seq
   * holds another message, is answered from the start with recovered false.
   * @param {Record<string, any>} cursors
   */
  #answer(cursors) {
    /** @type {Record<string, any>} */
    const streams = {};
    for (const [stream, state] of this.streams) {
      const sent = cursors[stream] ?? this.serverCursors.get(stream) ?? 0;
      const seq = typeof sent === "number" ? sent : sent.seq;
      const atCursor = typeof sent === "object" && sent.id ? state.messages.find((/** @type {any} */ m) => m.seq === seq) : undefined;
      const restart = (typeof sent === "object" && sent.epoch !== undefined && sent.epoch !== state.epoch)
        || seq > state.latestSeq || (atCursor !== undefined && atCursor.id !== sent.id);
      const cursor = restart ? 0 : seq;
      const after = state.messages.filter((m) => m.seq > cursor);
      const messages = after.slice(0, this.pageSize);
      const recovered = !restart && cursor >= state.trimmedThrough;
      if (messages.length > 0) this.serverCursors.set(stream, messages[messages.length - 1].seq);
      streams[stream] = { messages, latestSeq: state.latestSeq, recovered, more: after.length > messages.length };
      if (state.epoch !== undefined) streams[stream].epoch = state.epoch;
    }
    return { streams };
  }
}

/** Let promise chains and zero-delay timers run. */
export async function settle(rounds = 20) {
  for (let i = 0; i < rounds; i += 1) await new Promise((resolve) => setImmediate(resolve));
}
