// The app's one timer function, periodicCheck (every 10 s), as the Functions host runs it with two app instances
// (tools/FunctionsHost, each with its worker process): it runs on one instance at a time, holding a blob lease in
// AzureWebJobsStorage (Azurite here), and runs on the other instance once its instance is gone.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { startSystem, waitFor } from "../lib/system.mjs";

const TIMER = "periodicCheck";

describe("the periodic check across two app instances", () => {
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
  const runs = (host) => log(host).split(`Executing 'Functions.${TIMER}'`).length - 1;

  it("runs on one instance at a time and moves to the other when that instance is killed", async () => {
    for (const host of sys.hosts) {
      const timers = [...log(host).matchAll(/The next 5 occurrences of the 'Functions\.(\w+)' schedule/g)].map((m) => m[1]);
      assert.deepEqual(timers, [TIMER], "each host announced the app's one timer");
    }

    await waitFor(() => runs(sys.hosts[0]) + runs(sys.hosts[1]) >= 2, 60_000, `${TIMER} to run twice`);
    const counts = sys.hosts.map(runs);
    assert.equal(counts.filter((n) => n > 0).length, 1, `${TIMER} ran on one instance only: ${counts.join(" and ")} runs`);

    // kill -9 the instance holding it: its lease is not given back, it expires.
    const dead = counts.findIndex((n) => n > 0);
    const survivor = sys.hosts[1 - dead];
    sys.hosts[dead].kill("SIGKILL");
    const before = runs(survivor);
    await waitFor(() => runs(survivor) > before, 60_000, () => `the other instance to run ${TIMER} (runs there: ${runs(survivor)})`, 500);
  });
});
