// A private message reaches every device of its user, and only that user.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { startSystem, uid, waitFor } from "../lib/system.mjs";

describe("private messages", () => {
  let sys;
  before(async () => { sys = await startSystem({ name: "private-messages" }); });
  after(async () => { await sys?.stop(); });

  it("reaches the user on both devices, and no other user", async () => {
    const alice = uid("alice");
    const bob = uid("bob");
    const laptop = await sys.connect(await sys.login(alice, "Alice", "laptop"));
    const phone = await sys.connect(await sys.login(alice, "Alice", "phone"));
    const other = await sys.connect(await sys.login(bob, "Bob", "laptop"));

    const payload = { text: "your list was shared", n: 1 };
    const res = await sys.sendToUser(alice, payload);
    assert.equal(res.status, 202, res.text);
    const { id, stream, seq } = res.body;
    assert.equal(stream, `user:${alice}`);
    assert.ok(Number.isInteger(seq) && seq > 0, `seq ${seq}`);

    for (const [device, conn] of [["laptop", laptop], ["phone", phone]]) {
      const msg = await waitFor(() => conn.received.message.find((m) => m.id === id), 10_000,
        `the message on alice's ${device}`);
      assert.equal(msg.stream, stream);
      assert.equal(msg.seq, seq);
      assert.deepEqual(msg.payload, payload);
      assert.ok(msg.sentAt, "sentAt is set");
    }

    // Give a wrong delivery time to show up, then check nothing else arrived anywhere.
    await sleep(1000);
    assert.equal(laptop.received.message.length, 1, "laptop got it exactly once");
    assert.equal(phone.received.message.length, 1, "phone got it exactly once");
    assert.deepEqual(other.received.message, [], "bob received nothing");
  });

  it("negotiate gives a SignalR connection whose user is the session's user", async () => {
    const carol = uid("carol");
    const session = await sys.login(carol, "Carol", "tablet");

    const res = await sys.api("POST", "/api/negotiate?negotiateVersion=1", { auth: session });
    assert.equal(res.status, 200, res.text);
    assert.equal(typeof res.body.url, "string");
    assert.equal(typeof res.body.accessToken, "string");
    assert.ok(res.body.url.startsWith(sys.emulatorUrl), `${res.body.url} points at the SignalR Service`);

    const conn = await sys.connect(session);
    const sent = await sys.sendToUser(carol, { hello: carol });
    assert.equal(sent.status, 202, sent.text);
    const msg = await waitFor(() => conn.received.message.find((m) => m.id === sent.body.id), 10_000,
      "the message sent to the session's user");
    assert.deepEqual(msg.payload, { hello: carol });
  });

  it("negotiate refuses a missing or forged session token", async () => {
    const none = await sys.api("POST", "/api/negotiate?negotiateVersion=1", { auth: null });
    assert.equal(none.status, 401, none.text);
    const forged = await sys.api("POST", "/api/negotiate?negotiateVersion=1",
      { auth: { sessionToken: "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.bm90LWEtc2lnbmF0dXJl" } });
    assert.equal(forged.status, 401, forged.text);
  });
});
