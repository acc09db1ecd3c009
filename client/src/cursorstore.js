// Per-user cursors in Web Storage, so that a page reload does not redeliver messages.
// Storage can be missing (Node), full, or disabled (some private modes): delivery must not
// depend on it, so every failure degrades to "in memory only" and is logged.

/**
 * @typedef {Pick<Storage, "getItem" | "setItem" | "removeItem">} CursorStorage
 * @typedef {Pick<Console, "debug" | "warn" | "error">} Logger
 */

export class CursorStore {
  #storage;
  #key;
  #logger;

  /**
   * @param {CursorStorage | null | undefined} storage
   * @param {string} userId
   * @param {Logger} logger
   */
  constructor(storage, userId, logger) {
    this.#storage = storage ?? null;
    this.#key = cursorStorageKey(userId);
    this.#logger = logger;
  }

  /** @returns {Record<string, unknown>} as `Sequencer.snapshot()` wrote it */
  load() {
    const stored = this.#attempt("read", () => this.#storage?.getItem(this.#key));
    if (!stored) return {};
    try {
      const cursors = JSON.parse(stored);
      return cursors && typeof cursors === "object" && !Array.isArray(cursors) ? cursors : {};
    } catch {
      this.#logger.warn(`pushclient: ignoring unreadable cursors in storage key ${this.#key}`);
      return {};
    }
  }

  /** @param {Record<string, unknown>} cursors a `Sequencer.snapshot()` */
  save(cursors) {
    this.#attempt("write", () => this.#storage?.setItem(this.#key, JSON.stringify(cursors)));
  }

  clear() {
    this.#attempt("clear", () => this.#storage?.removeItem(this.#key));
  }

  /**
   * @template T
   * @param {string} what
   * @param {() => T} action
   * @returns {T | undefined}
   */
  #attempt(what, action) {
    try {
      return action();
    } catch (error) {
      this.#logger.warn(`pushclient: could not ${what} cursors in storage`, error);
      return undefined;
    }
  }
}

/** @param {string} userId */
export function cursorStorageKey(userId) {
  return `pushclient:v1:${userId}:cursors`;
}
