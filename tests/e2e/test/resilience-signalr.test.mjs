// When the SignalR Service's REST API fails, sends still succeed (the stream is the
// truth) and the user gets the message by sync.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startSystem, syncedMessages, uid } from "../lib/system.mjs";

describe("SignalR Service REST failing", () => {
  let sys;
  before(async () => { sys = await startSystem({ name: "resilience-signalr" }); });
  after(async () => {
    await sys?.clearEmulatorFaults().catch(() => {});
    await sys?.stop();
  });

  it("a send still returns 202, and the user gets the message by sync afterwards", async () => {
    const user = uid("heidi");
    const stream = `user:${user}`;
    const session = await sys.login(user, "Heidi", "laptop");
    await sys.connect(session);

    await sys.setEmulatorFaults({ restStatus: 503 });
    let sent;
    try {
      const res = await sys.sendToUser(user, { text: "while the service is down" });
      assert.equal(res.status, 202, res.text);
      sent = res.body;
      assert.equal(sent.stream, stream);
    } finally {
      await sys.clearEmulatorFaults();
    }

    const sync = await sys.sync(session, {});
    assert.equal(sync.status, 200, sync.text);
    const got = syncedMessages(sync.body, stream).filter((m) => m.id === sent.id);
    assert.equal(got.length, 1, "the message is delivered by sync, once");
    assert.deepEqual(got[0].payload, { text: "while the service is down" });
    assert.equal(got[0].seq, sent.seq);
  });
});
