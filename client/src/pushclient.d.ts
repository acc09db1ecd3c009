// Hand-written types for pushclient.js (the source is plain JavaScript with JSDoc).

/** A message of a stream, as pushed live (`message`, `room_message`) or returned by sync. */
export interface PushMessage<TPayload = unknown> {
  id: string;
  /** `user:{userId}`, `broadcast` or `room:{roomId}` */
  stream: string;
  /** Increases by one per message within its stream and epoch, from 1. */
  seq: number;
  /**
   * The stream's epoch when the message was stored. A stream that Redis lost starts again from seq 1 under a new
   * epoch, so a seq means something only together with its epoch.
   */
  epoch?: string;
  from?: string;
  payload: TPayload;
  /** ISO 8601 */
  sentAt?: string;
}

/** A room message: a message of a `room:{roomId}` stream. */
export interface RoomMessage<TPayload = unknown> extends PushMessage<TPayload> {
  roomId: string;
  /** Members of the room when it was sent. */
  total: number;
  /** Members online when it was sent. */
  online: number;
}

/** One stream's part of a `POST /api/sync` response. */
export interface StreamPage {
  messages: PushMessage[];
  latestSeq: number;
  /** The stream's epoch. */
  epoch?: string;
  /**
   * false when the cursor sent was older than what the server still retains, or of no use any more (another epoch,
   * ahead of the stream, or its seq now holds another message): then the answer starts from the stream's start.
   */
  recovered: boolean;
  /** true when another sync would return more messages. */
  more: boolean;
}

export type ConnectionState = "connecting" | "connected" | "reconnecting" | "disconnected";

/** Why the app should send the user to the login page. */
export type RedirectReason = "account_deleted" | "session_revoked" | "logged_out" | "session_invalid" | (string & {});

export interface PushClientEvents {
  /** A private or broadcast message, once, in order per stream. */
  message: PushMessage;
  /** A room message, once, in order per room. */
  "room-message": RoomMessage;
  online: { onlineCount: number; userList: unknown[] };
  /** The session is over; the client has stopped and cleared its stored cursors. Navigate to login. */
  "redirect-to-login": { reason: RedirectReason };
  state: ConnectionState;
  /**
   * Some of this stream's messages may be gone for good: older than the server retains, or lost with Redis's data
   * (the stream began again under a new epoch, or went back a few seqs). Reload the affected data from the main
   * backend; messages after the loss still follow, once and in order.
   */
  "recovery-lost": { stream: string };
  /** A failed sync (retried), a malformed message, or an exception thrown by an event handler. */
  error: Error;
}

export type PushClientEventName = keyof PushClientEvents;

/** The subset of Web Storage the client uses. */
export interface CursorStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export interface Logger {
  debug(...data: unknown[]): void;
  warn(...data: unknown[]): void;
  error(...data: unknown[]): void;
}

export interface PushClientOptions {
  /** Origin (and path prefix) of PushFunctions, e.g. "https://push.example.com". Default "": this page's origin. */
  baseUrl?: string;
  /** Returns the session token; called before every negotiate and sync. */
  getSessionToken?: () => string | Promise<string>;
  /** A fixed session token, when there is no getSessionToken. */
  sessionToken?: string;
  /** The session's user id; names the storage key of the cursors. */
  userId: string;
  /** Where cursors persist across reloads. Default globalThis.localStorage; null keeps them in memory. */
  storage?: CursorStorage | null;
  /** The @microsoft/signalr module. Default globalThis.signalR (its browser build). */
  signalR?: unknown;
  /** Default globalThis.fetch. */
  fetch?: typeof fetch;
  /** Default console. */
  logger?: Logger;
  /** Milliseconds before retry number `attempt` (0-based). Default: exponential backoff, 0.5–1 s up to 15–30 s. */
  retryDelay?: (attempt: number) => number;
}

export declare const EVENT_NAMES: readonly PushClientEventName[];

export declare const SESSION_INVALID: "session_invalid";

/** The hub method each new connection invokes so that PushFunctions knows it is live, even when the service lost its `connected` event. */
export declare const PRESENT_METHOD: "present";
/** How long one `present` may take before it is tried again. */
export declare const PRESENT_TIMEOUT_MS: number;
/** The longest wait between two `present` attempts. */
export declare const PRESENT_RETRY_MAX_MS: number;

export declare class PushClientError extends Error {
  constructor(message: string, details?: { status?: number; cause?: unknown });
  /** HTTP status, when there was a response. */
  readonly status: number | undefined;
}

export declare class PushClient {
  constructor(options: PushClientOptions);

  readonly state: ConnectionState;

  /** Subscribe; returns the function that unsubscribes. */
  on<K extends PushClientEventName>(name: K, handler: (value: PushClientEvents[K]) => void): () => void;

  /**
   * Connect (retrying with backoff until it works) and catch up with a sync. Resolves once
   * connected and caught up, or when stopped first. Never rejects.
   */
  start(): Promise<void>;

  /** Disconnect and stop retrying. Cursors stay stored; start() may be called again. */
  stop(): Promise<void>;

  /** Catch up on every readable stream now (e.g. right after joining a room). Coalesced with any sync in flight. */
  sync(): Promise<void>;
}

/** Retry delay used by default: exponential backoff with jitter, capped at 30 s. */
export declare function backoffDelay(attempt: number, random?: () => number): number;

/** The storage key of a user's cursors: `pushclient:v1:{userId}:cursors`. */
export declare function cursorStorageKey(userId: string): string;

export declare function isSequencedMessage(message: unknown): message is PushMessage;

/** A sync cursor: a seq (the form from before epochs), or the seq with its epoch and the id of the message there. */
export type Cursor = number | { seq: number; epoch: string; id?: string };

/** A stream's state as the Sequencer persists it (`snapshot()`). */
export interface StoredStream {
  seq: number;
  epoch?: string;
  /** The last delivered [seq, id] pairs, at most RECENT_IDS. */
  recent?: [number, string][];
  /** The highest seq forgotten from `recent`. */
  floor?: number;
}

/** How many delivered ids the Sequencer remembers per stream. */
export declare const RECENT_IDS: number;

export interface LiveResult {
  delivered: PushMessage[];
  needsSync: boolean;
  /** Streams that began again (a new epoch's seq 1 came live): report them before delivering. */
  lost: string[];
}

export interface SyncResult {
  lost: string[];
  delivered: PushMessage[];
  needsSync: boolean;
}

/** The pure ordering/dedupe engine behind PushClient, exported for reuse and tests. */
export declare class Sequencer {
  /** From `snapshot()` (or cursors stored before epochs: numbers). */
  constructor(stored?: Record<string, StoredStream | number>);
  /** The cursors as sync takes them. */
  cursors(): Record<string, Cursor>;
  /** Everything to persist: cursors, epochs and recently delivered ids. */
  snapshot(): Record<string, StoredStream>;
  receive(message: PushMessage): LiveResult;
  beginSync(): { syncId: number; cursors: Record<string, Cursor> };
  completeSync(syncId: number, streams: Record<string, StreamPage>): SyncResult;
}
