/**
 * A minimal event emitter: `on` returns its own unsubscribe function, and a handler that
 * throws cannot break delivery to the others (its error goes to `onHandlerError`).
 */
export class Emitter {
  /** @type {Map<string, Set<Function>>} */
  #handlers = new Map();
  #onHandlerError;

  /** @param {(error: unknown, eventName: string) => void} onHandlerError */
  constructor(onHandlerError) {
    this.#onHandlerError = onHandlerError;
  }

  /**
   * @param {string} name
   * @param {Function} handler
   * @returns {() => void} unsubscribe
   */
  on(name, handler) {
    if (typeof handler !== "function") throw new TypeError("handler must be a function");
    const handlers = this.#handlers.get(name) ?? new Set();
    this.#handlers.set(name, handlers);
    // Wrap so that subscribing the same function twice gives two independent subscriptions.
    const subscription = (/** @type {unknown} */ value) => handler(value);
    handlers.add(subscription);
    return () => handlers.delete(subscription);
  }

  /**
   * @param {string} name
   * @param {unknown} value
   */
  emit(name, value) {
    for (const handler of [...(this.#handlers.get(name) ?? [])]) {
      try {
        handler(value);
      } catch (error) {
        this.#onHandlerError(error, name);
      }
    }
  }
}
