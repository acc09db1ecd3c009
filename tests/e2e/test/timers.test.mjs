// The app's timer functions as the Functions host runs them with two app instances (tools/FunctionsHost, each with
// its worker process): each timer runs on one instance at a time, holding a blob lease in AzureWebJobsStorage
// (Azurite here), and runs on the other instance once its instance is gone. The timers are found in the hosts' logs,
// whatever the app calls them.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { startSystem, waitFor } from "../lib/system.mjs";

describe("timers across two app instances", () => {
  let sys;
  before(async () => {
    sys = await startSystem({
      name: "timers",
      instances: 2,
      // The host's shortest lock periods (host.json's singleton section, overridden as app settings), so a timer
      // whose instance died moves within the test: the lease expires after 15 s, the other instance looks every 15 s.
      appEnv: {
        AzureFunctionsJobHost__singleton__listenerLockPeriod: "00:00:15",
        AzureFunctionsJobHost__singleton__listenerLockRecoveryPollingInterval: "00:00:15",
      },
    });
  });
  after(() => sys?.stop());

  const log = (host) => readFileSync(host.logFile, "utf8");
  const runs = (host, timer) => log(host).split(`Executing 'Functions.${timer}'`).length - 1;

  it("each timer runs on one instance at a time and moves to the other when that instance is killed", async () => {
    const timers = [...log(sys.hosts[0]).matchAll(/The next 5 occurrences of the 'Functions\.(\w+)' schedule/g)].map((m) => m[1]);
    assert.ok(timers.length > 0, "the host announced the app's timers");

    await waitFor(() => timers.every((t) => runs(sys.hosts[0], t) + runs(sys.hosts[1], t) >= 2), 60_000, "every timer to run twice");
    const holders = Object.fromEntries(timers.map((t) => {
      const counts = sys.hosts.map((h) => runs(h, t));
      assert.ok(counts.filter((n) => n > 0).length === 1, `${t} ran on one instance only: ${counts.join(" and ")} runs`);
      return [t, counts.findIndex((n) => n > 0)];
    }));

    // kill -9 the instance holding the first timer: its leases are not given back, they expire.
    const dead = holders[timers[0]];
    const survivor = sys.hosts[1 - dead];
    sys.hosts[dead].kill("SIGKILL");
    const moved = timers.filter((t) => holders[t] === dead);
    const before = Object.fromEntries(moved.map((t) => [t, runs(survivor, t)]));
    await waitFor(() => moved.every((t) => runs(survivor, t) > before[t]), 60_000,
      () => `the other instance to run ${moved.join(", ")} (runs there: ${moved.map((t) => runs(survivor, t)).join(", ")})`, 500);
  });
});
