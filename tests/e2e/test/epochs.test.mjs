// Redis loses data while browsers are connected. The real client (client/src/pushclient.js)
// with the real @microsoft/signalr, against real redis-server, emulator and app processes.
//   1. FLUSHALL (what a restart without persistence or a failover to an empty replica does), then sends:
//      the client reports the stream lost, delivers what is new, its next sync sends the user to login, and
//      after signing in again the new messages come once, in order.
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

  it("after FLUSHALL, the connected client reports the stream lost, delivers what is new in order, is sent to login, and after signing in again gets the new messages", async () => {
    const userId = uid("flush");
    const session = await sys.login(userId);
    const tab = browser(sys, session);
    const answered = await sys.upstreamEventsAnswered();
    await tab.client.start();
    // The connection's arrival (its connected event and its present invocation) is handled before Redis loses the
    // session: handled after, it would find no session and close the connection before anything new came live.
    await waitFor(async () => (await sys.upstreamEventsAnswered()) >= answered + 2, 10_000, "its connected event and present invocation answered");
    for (let n = 1; n <= 3; n += 1) await send(userId, n);
    await waitFor(() => tab.delivered().length === 3, 10_000, "the first three messages");

    assert.equal(await redis(sys.redisPort, "FLUSHALL"), "OK");
    const fresh = [await send(userId, 4), await send(userId, 5)];
    assert.deepEqual(fresh.map((s) => s.seq), [1, 2], "the counter started again");

    // The new epoch's seq 1 comes live: the client reports the stream lost and delivers it, then its sync finds
    // that the session went with the data (401: session_invalid) and sends the user to login once. When the
    // connection's own arrival (its present invocation, or a reconnect's connected event) reaches the app first, the
    // app finds no session and closes the connection itself (session_revoked): still one redirect.
    await waitFor(() => tab.events.some((e) => e.type === "redirect-to-login"), 10_000, "redirect-to-login");
    const redirects = tab.events.filter((e) => e.type === "redirect-to-login");
    assert.equal(redirects.length, 1, JSON.stringify(redirects));
    assert.ok(["session_invalid", "session_revoked"].includes(redirects[0].reason), JSON.stringify(redirects));
    const afterLoss = tab.events.slice(3).filter((e) => e.type !== "redirect-to-login");
    assert.deepEqual(afterLoss[0], { type: "recovery-lost", stream: `user:${userId}` }, "the stream is reported lost before anything new");
    const newOnOldSession = afterLoss.filter((e) => e.type === "message").map((e) => e.n);
    assert.deepEqual(newOnOldSession, [4, 5].slice(0, newOnOldSession.length), "what came before the 401 came once, in order");
    assert.ok(newOnOldSession.length >= 1, "the new epoch's first message was delivered at once");
    assert.notEqual(tab.delivered()[3].epoch, tab.delivered()[0].epoch, "the new messages carry the new epoch");
    assert.equal((await sys.api("POST", "/api/negotiate?negotiateVersion=1", { auth: session })).status, 401);
    assert.equal((await sys.api("GET", "/api/health")).status, 200, "nothing is broken: health is 200");

    // Signing in again (a fresh page): the new session gets both new messages, once, in order.
    const again = browser(sys, await sys.login(userId));
    await again.client.start();
    await waitFor(() => again.delivered().length === 2, 10_000, "the new messages on the new session");
    assert.deepEqual(again.delivered().map((e) => e.n), [4, 5]);
    await again.client.stop();
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
