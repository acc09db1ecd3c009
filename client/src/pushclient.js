// PushFunctions browser client: the transport glue around the pure Sequencer.
// SignalR brings live messages; POST /api/sync brings what was missed; the Sequencer turns
// both into exactly-once, in-order delivery per stream. See /client/README.md.

import { backoffDelay } from "./backoff.js";
import { CursorStore } from "./cursorstore.js";
import { Emitter } from "./emitter.js";
import { Sequencer, isSequencedMessage } from "./sequencer.js";

export { backoffDelay } from "./backoff.js";
export { cursorStorageKey } from "./cursorstore.js";
export { RECENT_IDS, Sequencer, isSequencedMessage } from "./sequencer.js";

/** @typedef {import("./sequencer.js").PushMessage} PushMessage */
/** @typedef {import("./sequencer.js").StreamPage} StreamPage */
/** @typedef {import("./cursorstore.js").CursorStorage} CursorStorage */
/** @typedef {import("./cursorstore.js").Logger} Logger */
/** @typedef {"connecting" | "connected" | "reconnecting" | "disconnected"} ConnectionState */

/**
 * @typedef {object} PushClientOptions
 * @property {string} [baseUrl] origin (and path prefix) of PushFunctions; "" = this page's origin
 * @property {() => string | Promise<string>} [getSessionToken] called before each negotiate and sync
 * @property {string} [sessionToken] a fixed token, when there is no getSessionToken
 * @property {string} userId the session's user; names the storage key for cursors
 * @property {CursorStorage | null} [storage] defaults to globalThis.localStorage
 * @property {any} [signalR] the SignalR client module (its npm package or browser build); defaults to globalThis.signalR
 * @property {typeof fetch} [fetch] defaults to globalThis.fetch
 * @property {Logger} [logger] defaults to console
 * @property {(attempt: number) => number} [retryDelay] ms before retry number `attempt` (0-based)
 */

/** The events `on()` accepts. */
export const EVENT_NAMES = Object.freeze(["message", "room-message", "online", "redirect-to-login", "state", "recovery-lost", "error"]);

/** The session no longer works: the reason given by `redirect-to-login` for a 401. */
export const SESSION_INVALID = "session_invalid";

/** The hub method a new connection invokes to tell PushFunctions that it is live (CONTRACTS.md). */
export const PRESENT_METHOD = "present";

/** How long one `present` may take before it is tried again (SignalR's invoke has no time limit of its own). */
export const PRESENT_TIMEOUT_MS = 10_000;

/** The longest wait between two `present` attempts: a connection is in presence within this of the app answering again. */
export const PRESENT_RETRY_MAX_MS = 10_000;

/** An HTTP call to PushFunctions failed. */
export class PushClientError extends Error {
  /**
   * @param {string} message
   * @param {{status?: number, cause?: unknown}} [details]
   */
  constructor(message, { status, cause } = {}) {
    super(message, { cause });
    this.name = "PushClientError";
    /** @type {number | undefined} HTTP status, when there was a response */
    this.status = status;
  }
}

export class PushClient {
  #apiUrl;
  #tokenSource;
  #signalR;
  #fetch;
  #logger;
  #retryDelay;
  #events;
  #store;
  #sequencer;
  #connection;

  /** start() was called and neither stop() nor the end of the session has happened since. */
  #active = false;
  #sessionEnded = false;
  #everConnected = false;
  /** True while the start-with-retry loop runs, so that a close event does not start a second one. */
  #connecting = false;
  /** @type {ConnectionState} */
  #state = "disconnected";
  /** @type {Promise<void> | null} */
  #started = null;
  /** @type {Promise<void>} */
  #stopped = Promise.resolve();

  /** A sync was asked for and not yet started: the single-flight loop picks it up. */
  #syncWanted = false;
  /** @type {Promise<void> | null} */
  #syncRun = null;
  #syncFailures = 0;
  #syncRetryScheduled = false;
  /** Pending sleeps, woken early by stop(). @type {Set<() => void>} */
  #sleepers = new Set();

  /** @param {PushClientOptions} options */
  constructor(options) {
    const { baseUrl = "", getSessionToken, sessionToken, userId } = options ?? {};
    if (typeof userId !== "string" || userId === "") throw new TypeError("PushClient needs a userId");
    if (typeof getSessionToken !== "function" && typeof sessionToken !== "string") {
      throw new TypeError("PushClient needs getSessionToken or sessionToken");
    }
    this.#apiUrl = `${baseUrl.replace(/\/+$/, "")}/api`;
    this.#tokenSource = getSessionToken ?? (() => /** @type {string} */ (sessionToken));
    this.#signalR = options.signalR ?? /** @type {any} */ (globalThis).signalR;
    if (!this.#signalR?.HubConnectionBuilder) {
      throw new TypeError("PushClient needs @microsoft/signalr: pass it as options.signalR or load its browser build first");
    }
    // Called unbound, browsers' fetch throws "Illegal invocation".
    this.#fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.#logger = options.logger ?? console;
    this.#retryDelay = options.retryDelay ?? backoffDelay;
    this.#events = new Emitter((error, name) => this.#reportHandlerError(error, name));
    const storage = options.storage === undefined ? /** @type {any} */ (globalThis).localStorage : options.storage;
    this.#store = new CursorStore(storage, userId, this.#logger);
    this.#sequencer = new Sequencer(this.#store.load());
    this.#connection = this.#createConnection();
  }

  /** @returns {ConnectionState} */
  get state() {
    return this.#state;
  }

  /**
   * @param {string} name message | room-message | online | redirect-to-login | state | recovery-lost | error
   * @param {(value: any) => void} handler
   * @returns {() => void} unsubscribe
   */
  on(name, handler) {
    // A typo such as "room_message" would otherwise wait forever for an event that never comes.
    if (!EVENT_NAMES.includes(name)) throw new TypeError(`Unknown PushClient event '${name}'; expected one of ${EVENT_NAMES.join(", ")}`);
    return this.#events.on(name, handler);
  }

  /**
   * Connect, retrying with backoff until it works, then catch up with a sync.
   * Resolves once connected and caught up (or when stopped first). Never rejects.
   * @returns {Promise<void>}
   */
  start() {
    if (this.#sessionEnded) return Promise.resolve();
    if (!this.#active) {
      this.#active = true;
      this.#started = this.#connectAndSync();
    }
    return /** @type {Promise<void>} */ (this.#started);
  }

  /** Disconnect and stop retrying. Cursors stay stored; start() may be called again. */
  async stop() {
    this.#deactivate();
    await this.#stopped;
    this.#setState("disconnected");
  }

  /**
   * Catch up on every readable stream now, e.g. right after joining a room. Calls made while
   * a sync runs are coalesced into one more round. Resolves when caught up or failed.
   * @returns {Promise<void>}
   */
  sync() {
    this.#syncWanted = true;
    this.#syncRun ??= this.#syncUntilCaughtUp();
    return this.#syncRun;
  }

  // ---- connection ----

  /** The only place a HubConnection is built. */
  #createConnection() {
    const signalR = this.#signalR;
    const logger = signalRLogger(signalR, this.#logger);
    const connection = new signalR.HubConnectionBuilder()
      .withUrl(this.#apiUrl, {
        accessTokenFactory: () => this.#tokenSource(),
        // Auth is a bearer token; sending cookies would make every cross-origin negotiate need
        // Access-Control-Allow-Credentials for nothing.
        withCredentials: false,
        httpClient: this.#createNegotiateWatcher(logger),
      })
      .withAutomaticReconnect({
        // Never give up while active: a null delay would leave the tab silently offline.
        nextRetryDelayInMilliseconds: (/** @type {{previousRetryCount: number}} */ context) =>
          this.#active ? this.#retryDelay(context.previousRetryCount) : null,
      })
      .configureLogging(logger)
      .build();
    connection.on("message", (/** @type {unknown} */ message) => this.#onLiveMessage(message));
    connection.on("room_message", (/** @type {unknown} */ message) => this.#onLiveMessage(message));
    connection.on("update_online_count", (/** @type {any} */ update) => this.#onOnlineCount(update));
    connection.on("redirect_to_login", (/** @type {any} */ command) => this.#endSession(command?.reason ?? "unknown"));
    connection.onreconnecting(() => this.#setState("reconnecting"));
    connection.onreconnected(() => this.#onConnected());
    connection.onclose((/** @type {unknown} */ error) => this.#onClosed(error));
    return connection;
  }

  /**
   * SignalR hides the status of a failed negotiate inside a generic error, and its automatic
   * reconnect would retry a revoked session forever. Watching its HTTP calls lets a 401 from
   * our negotiate end the session. (A 401 from the service's own negotiate is not ours.)
   * @param {{log(level: number, message: string): void}} logger
   */
  #createNegotiateWatcher(logger) {
    const signalR = this.#signalR;
    if (typeof signalR.DefaultHttpClient !== "function" || typeof signalR.HttpClient !== "function") return undefined;
    const inner = new signalR.DefaultHttpClient(logger);
    const negotiateUrl = `${this.#apiUrl}/negotiate`;
    const onUnauthorized = () => this.#endSession(SESSION_INVALID);
    return new (class NegotiateWatcher extends signalR.HttpClient {
      /** @param {{url?: string}} request */
      async send(request) {
        const isOurNegotiate = request.url?.startsWith(negotiateUrl) === true;
        try {
          const response = await inner.send(request);
          if (isOurNegotiate && response?.statusCode === 401) onUnauthorized();
          return response;
        } catch (error) {
          if (isOurNegotiate && /** @type {any} */ (error)?.statusCode === 401) onUnauthorized();
          throw error;
        }
      }

      /** @param {string} url */
      getCookieString(url) {
        return inner.getCookieString(url);
      }
    })();
  }

  async #connectAndSync() {
    if (await this.#connectWithRetry()) await this.#onConnected();
  }

  /** @returns {Promise<boolean>} whether it connected (false: stopped first) */
  async #connectWithRetry() {
    this.#connecting = true;
    try {
      await this.#stopped;
      for (let attempt = 0; this.#active; attempt += 1) {
        this.#setState(this.#everConnected ? "reconnecting" : "connecting");
        try {
          await this.#connection.start();
          return this.#active;
        } catch (error) {
          if (!this.#active) break;
          this.#logger.warn(`pushclient: could not connect (attempt ${attempt + 1}), retrying`, error);
          await this.#sleep(this.#retryDelay(attempt));
        }
      }
      return false;
    } finally {
      this.#connecting = false;
    }
  }

  #onConnected() {
    this.#everConnected = true;
    this.#setState("connected");
    void this.#confirmPresence();
    return this.sync();
  }

  /**
   * SignalR Service does not retry its upstream calls, so PushFunctions may never hear this connection's
   * `connected` event (and then not list the user online, nor close a connection of a revoked session). The
   * connection says so itself: it invokes `present`, which the service posts to PushFunctions signed with the same
   * connection id, user and session as `connected`, and tries again, with backoff, until PushFunctions answers or the
   * connection is gone.
   */
  async #confirmPresence() {
    const connection = this.#connection;
    const connectionId = connection.connectionId;
    const live = () => this.#active && connection.connectionId === connectionId && connection.state === "Connected";
    for (let attempt = 0; live(); attempt += 1) {
      const limit = this.#timer(PRESENT_TIMEOUT_MS);
      try {
        const answered = await Promise.race([connection.invoke(PRESENT_METHOD).then(() => true), limit.done.then(() => false)]);
        if (answered) return;
        if (!live()) return;
        this.#logger.warn(`pushclient: presence not confirmed within ${PRESENT_TIMEOUT_MS} ms (attempt ${attempt + 1}), retrying`);
      } catch (error) {
        if (!live()) return;
        this.#logger.warn(`pushclient: presence not confirmed (attempt ${attempt + 1}), retrying`, error);
      } finally {
        limit.cancel();
      }
      await this.#sleep(Math.min(PRESENT_RETRY_MAX_MS, this.#retryDelay(attempt)));
    }
  }

  /** @param {unknown} error */
  #onClosed(error) {
    // Automatic reconnect never gives up, so a close we did not ask for means the server
    // closed without allowing a reconnect. Start over rather than stay offline.
    if (!this.#active || this.#connecting) return;
    this.#logger.warn("pushclient: connection closed by the server, reconnecting", error);
    void this.#connectAndSync();
  }

  /** @param {ConnectionState} state */
  #setState(state) {
    if (this.#state === state) return;
    this.#state = state;
    this.#events.emit("state", state);
  }

  #deactivate() {
    if (!this.#active) return;
    this.#active = false;
    this.#started = null;
    for (const wake of this.#sleepers) wake();
    this.#stopped = this.#connection.stop().catch((/** @type {unknown} */ error) => {
      this.#logger.warn("pushclient: error while stopping the connection", error);
    });
  }

  /**
   * The session is over (revoked, logged out, account deleted, or rejected with 401): stop for
   * good and forget this user's cursors, then let the app send the user to the login page.
   * @param {string} reason
   */
  async #endSession(reason) {
    if (this.#sessionEnded) return;
    this.#sessionEnded = true;
    this.#deactivate();
    this.#store.clear();
    await this.#stopped;
    this.#setState("disconnected");
    this.#events.emit("redirect-to-login", { reason });
  }

  // ---- live events ----

  /** @param {unknown} message */
  #onLiveMessage(message) {
    if (!this.#active) return;
    if (!isSequencedMessage(message)) {
      this.#events.emit("error", new PushClientError("Dropped a live message without a stream and seq"));
      return;
    }
    const { delivered, needsSync, lost } = this.#sequencer.receive(message);
    for (const stream of lost) this.#events.emit("recovery-lost", { stream });
    if (delivered.length > 0) this.#deliver(delivered);
    if (needsSync) void this.sync();
  }

  /** @param {{online_count?: number, user_list?: unknown[]}} update */
  #onOnlineCount(update) {
    this.#events.emit("online", { onlineCount: update?.online_count ?? 0, userList: update?.user_list ?? [] });
  }

  /**
   * Hand messages to the app, then store the cursors that now include them.
   * @param {PushMessage[]} messages
   */
  #deliver(messages) {
    for (const message of messages) this.#events.emit(eventNameFor(message), message);
    // After the handlers ran: a crash in between means a redelivery after reload, not a loss.
    this.#store.save(this.#sequencer.snapshot());
  }

  // ---- sync ----

  async #syncUntilCaughtUp() {
    await null; // let sync() store this run before the loop can end and clear it
    try {
      while (this.#syncWanted && this.#active) {
        this.#syncWanted = false;
        await this.#syncRound();
      }
    } finally {
      this.#syncRun = null;
    }
  }

  async #syncRound() {
    const { syncId, cursors } = this.#sequencer.beginSync();
    try {
      const streams = await this.#requestSync(cursors);
      if (!this.#active) return;
      this.#syncFailures = 0;
      this.#applySync(syncId, streams);
    } catch (error) {
      this.#onSyncFailed(error);
    }
  }

  /**
   * POST /api/sync. A 403 means a cursor names a stream we may no longer read (we left a
   * room since the last sync): ask again without room cursors; the answer lists the rooms we
   * are still in, and the cursors kept locally still drop what we already have.
   * @param {Record<string, import("./sequencer.js").Cursor>} cursors
   * @returns {Promise<Record<string, StreamPage>>}
   */
  async #requestSync(cursors) {
    try {
      return await this.#postSync(cursors);
    } catch (error) {
      const withoutRooms = Object.fromEntries(Object.entries(cursors).filter(([stream]) => !stream.startsWith("room:")));
      const retryable = error instanceof PushClientError && error.status === 403;
      if (!retryable || Object.keys(withoutRooms).length === Object.keys(cursors).length) throw error;
      return this.#postSync(withoutRooms);
    }
  }

  /**
   * @param {Record<string, import("./sequencer.js").Cursor>} cursors
   * @returns {Promise<Record<string, StreamPage>>}
   */
  async #postSync(cursors) {
    const response = await this.#fetch(`${this.#apiUrl}/sync`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${await this.#tokenSource()}` },
      body: JSON.stringify({ cursors }),
    });
    if (!response.ok) {
      throw new PushClientError(`sync failed: ${response.status} ${await problemTitle(response)}`, { status: response.status });
    }
    const body = await response.json();
    return body?.streams ?? {};
  }

  /**
   * @param {number} syncId
   * @param {Record<string, StreamPage>} streams
   */
  #applySync(syncId, streams) {
    const { lost, delivered, needsSync } = this.#sequencer.completeSync(syncId, streams);
    // Tell the app before delivering: it may reload from its main backend and then apply these.
    for (const stream of lost) this.#events.emit("recovery-lost", { stream });
    // Even with nothing delivered, cursors may have moved (a stream's first sync, a room left).
    this.#deliver(delivered);
    if (needsSync) this.#syncWanted = true;
  }

  /** @param {unknown} error */
  #onSyncFailed(error) {
    if (!this.#active) return;
    if (error instanceof PushClientError && error.status === 401) {
      void this.#endSession(SESSION_INVALID);
      return;
    }
    this.#events.emit("error", error);
    this.#scheduleSyncRetry();
  }

  #scheduleSyncRetry() {
    if (this.#syncRetryScheduled) return;
    this.#syncRetryScheduled = true;
    const delay = this.#retryDelay(this.#syncFailures);
    this.#syncFailures += 1;
    void this.#sleep(delay).then(() => {
      this.#syncRetryScheduled = false;
      if (this.#active) void this.sync();
    });
  }

  // ---- helpers ----

  /**
   * A delay that stop() cuts short, so that a stopped client leaves no timers behind.
   * @param {number} ms
   * @returns {Promise<void>}
   */
  #sleep(ms) {
    return this.#timer(ms).done;
  }

  /**
   * A delay that stop() or `cancel` cuts short.
   * @param {number} ms
   * @returns {{done: Promise<void>, cancel: () => void}}
   */
  #timer(ms) {
    /** @type {() => void} */
    let wake = () => {};
    const done = new Promise((resolve) => {
      wake = () => {
        clearTimeout(timer);
        this.#sleepers.delete(wake);
        resolve(undefined);
      };
      const timer = setTimeout(wake, ms);
      this.#sleepers.add(wake);
    });
    return { done, cancel: wake };
  }

  /**
   * @param {unknown} error
   * @param {string} eventName
   */
  #reportHandlerError(error, eventName) {
    if (eventName === "error") {
      this.#logger.error("pushclient: an 'error' handler threw", error);
      return;
    }
    this.#events.emit("error", new PushClientError(`A '${eventName}' handler threw`, { cause: error }));
  }
}

/**
 * Messages that come from sync have no SignalR target, so the stream decides the event.
 * @param {PushMessage} message
 */
function eventNameFor(message) {
  return message.stream.startsWith("room:") ? "room-message" : "message";
}

/** @param {Response} response */
async function problemTitle(response) {
  try {
    const problem = await response.json();
    return typeof problem?.title === "string" ? problem.title : "";
  } catch {
    return "";
  }
}

/**
 * Forward SignalR's warnings and errors to our logger; its chatter below that stays quiet.
 * @param {any} signalR
 * @param {Logger} logger
 */
function signalRLogger(signalR, logger) {
  const warning = signalR.LogLevel?.Warning ?? 3;
  const error = signalR.LogLevel?.Error ?? 4;
  return {
    /** @param {number} level @param {string} message */
    log(level, message) {
      if (level >= error) logger.error(`pushclient/signalr: ${message}`);
      else if (level >= warning) logger.warn(`pushclient/signalr: ${message}`);
    },
  };
}
