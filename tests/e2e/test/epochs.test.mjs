// Issue 10: Redis loses data while browsers are connected. The real client (client/src/pushclient.js)
// with the real @microsoft/signalr, against real redis-server, emulator and app processes.
//   1. FLUSHALL (what a restart without persistence or a failover to an empty replica does), then sends:
//      the client delivers the new messages, reports the stream lost, and the next sync sends the user to login.
//   2. The newest K entries of a stream deleted and its counter set back by K (what a replica that had not
//      caught up leaves), then sends: every new message is delivered once, in order, live and after a reconnect.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import * as signalR from "@microsoft/signalr";
import { PushClient } from "../../../client/src/pushclient.js";
import { loseNewestWrites, redisCall as redis, startSystem, uid, waitFor } from "../lib/system.mjs";

/** A PushClient in Node recording what the app would see, in order. */
function browser(sys, session) {
  const events = [];
  const quiet = { debug() {}, warn() {}, error() {} };
  const client = new PushClient({
    baseUrl: sys.apiUrl, userId: session.userId, sessionToken: session.sessionToken, signalR, storage: null, logger: quiet,
    retryDelay: () => 200,
  });
  client.on("message", (m) => events.push({ type: "message", id: m.id, seq: m.seq, epoch: m.epoch, n: m.payload?.n }));
  client.on("recovery-lost", ({ stream }) => events.push({ type: "recovery-lost", stream }));
  client.on("redirect-to-login", ({ reason }) => events.push({ type: "redirect-to-login", reason }));
  const delivered = () => events.filter((e) => e.type === "message");
  return { client, events, delivered };
}

describe("epochs: Redis loses data while browsers are connected", () => {
  let sys;
  before(async () => { sys = await startSystem({ name: "epochs" }); });
  after(async () => { await sys?.stop(); });

  async function send(userId, n) {
    const res = await sys.sendToUser(userId, { n });
    assert.equal(res.status, 202, res.text);
    return res.body;
  }

  it("after FLUSHALL, the connected client delivers the new messages once, in order, reports the stream lost, and the next sync sends the user to login", async () => {
    const userId = uid("flush");
    const session = await sys.login(userId);
    const tab = browser(sys, session);
    await tab.client.start();
    for (let n = 1; n <= 3; n += 1) await send(userId, n);
    await waitFor(() => tab.delivered().length === 3, 10_000, "the first three messages");

    assert.equal(await redis(sys.redisPort, "FLUSHALL"), "OK");
    const fresh = [await send(userId, 4), await send(userId, 5)];
    assert.deepEqual(fresh.map((s) => s.seq), [1, 2], "the counter started again");
    await waitFor(() => tab.delivered().length === 5, 10_000, "the two messages sent after FLUSHALL");

    const afterLoss = tab.events.slice(3);
    assert.deepEqual(afterLoss.slice(0, 3).map((e) => e.type === "message" ? e.n : `${e.type} ${e.stream}`),
      [`recovery-lost user:${userId}`, 4, 5]);
    assert.notEqual(tab.delivered()[3].epoch, tab.delivered()[0].epoch, "the new messages carry the new epoch");

    // The sessions went with the data: the next sync is 401, and the client sends the user to login.
    await tab.client.sync();
    await waitFor(() => tab.events.some((e) => e.type === "redirect-to-login"), 10_000, "redirect-to-login");
    assert.deepEqual(tab.events.filter((e) => e.type === "redirect-to-login"), [{ type: "redirect-to-login", reason: "session_invalid" }]);
    assert.equal((await sys.api("POST", "/api/negotiate?negotiateVersion=1", { auth: session })).status, 401);
    assert.equal((await sys.api("GET", "/api/health")).status, 200, "nothing is broken: health is 200");
    assert.equal(tab.delivered().length, 5, "nothing delivered twice");

    // Signing in again works, and the new session reads the new epoch.
    const again = await sys.login(userId);
    const res = await sys.sync(again, {});
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.streams[`user:${userId}`].messages.map((m) => m.payload.n), [4, 5]);
  });

  it("after Redis lost the newest K entries of a stream, every new message is delivered once, in order, live and to a device that was away", async () => {
    const userId = uid("rewind");
    const stream = `user:${userId}`;
    const [laptopSession, phoneSession] = [await sys.login(userId, userId, "laptop"), await sys.login(userId, userId, "phone")];
    const laptop = browser(sys, laptopSession);
    const phone = browser(sys, phoneSession);
    await Promise.all([laptop.client.start(), phone.client.start()]);
    const sent = [];
    for (let n = 1; n <= 5; n += 1) sent.push(await send(userId, n));
    await waitFor(() => laptop.delivered().length === 5 && phone.delivered().length === 5, 10_000, "the first five messages on both");
    await phone.client.stop(); // the phone is away while Redis loses writes and new messages come

    const lost = await loseNewestWrites(sys.redisPort, stream, 2);
    assert.deepEqual(lost, [sent[4].id, sent[3].id]);
    const fresh = [];
    for (let n = 6; n <= 8; n += 1) fresh.push(await send(userId, n));
    assert.deepEqual(fresh.map((s) => s.seq), [4, 5, 6], "the counter went back by 2: seqs 4 and 5 are used again");

    await waitFor(() => laptop.delivered().length === 8, 10_000, "the three new messages live on the laptop");
    await phone.client.start();
    await waitFor(() => phone.delivered().length === 8, 10_000, "the three new messages on the phone after it came back");
    for (const device of [laptop, phone]) {
      assert.deepEqual(device.delivered().map((e) => e.n), [1, 2, 3, 4, 5, 6, 7, 8], "each message once, in order");
      assert.deepEqual(device.events.filter((e) => e.type === "recovery-lost").map((e) => e.stream), [stream]);
      assert.ok(!device.events.some((e) => e.type === "redirect-to-login"));
    }
    await Promise.all([laptop.client.stop(), phone.client.stop()]);
  });
});
