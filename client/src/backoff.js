// Retry delays shared by the SignalR reconnect policy, the initial-start loop and sync retries.

const FIRST_DELAY_MS = 1000;
const MAX_DELAY_MS = 30000;

/**
 * Exponential backoff with "equal jitter": the delay doubles per attempt up to a cap, and a
 * random half of it is shaved off so that thousands of tabs dropped by the same outage do
 * not all come back in the same second.
 *
 * @param {number} attempt 0 for the first retry
 * @param {() => number} [random] returns a number in [0, 1)
 * @returns {number} milliseconds
 */
export function backoffDelay(attempt, random = Math.random) {
  const ceiling = Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** Math.min(attempt, 16));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
