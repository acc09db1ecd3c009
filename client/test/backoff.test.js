import assert from "node:assert/strict";
import { it } from "node:test";
import { backoffDelay } from "../src/backoff.js";

it("doubles from 0.5–1 s up to a 15–30 s cap, with jitter within each step", () => {
  const low = () => 0;
  const high = () => 0.999999;
  assert.deepEqual([0, 1, 2, 3, 4, 5, 6].map((attempt) => backoffDelay(attempt, low)), [500, 1000, 2000, 4000, 8000, 15000, 15000]);
  assert.deepEqual([0, 1, 5, 6, 1000].map((attempt) => backoffDelay(attempt, high)), [1000, 2000, 30000, 30000, 30000]);
});

it("stays a finite number for absurd attempt counts", () => {
  assert.equal(backoffDelay(Number.MAX_SAFE_INTEGER, () => 0.5), 22500);
});
