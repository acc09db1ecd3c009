// Who is online is pushed to connected users and listed by GET /api/online.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startSystem, uid, userListHas, waitFor } from "../lib/system.mjs";

describe("presence", () => {
  let sys;
  before(async () => { sys = await startSystem({ name: "presence" }); });
  after(async () => { await sys?.stop(); });

  it("a connected user is told when another user connects; GET /api/online lists both", async () => {
    const frank = uid("frank");
    const grace = uid("grace");
    const watcher = await sys.connect(await sys.login(frank, "Frank", "laptop"));

    await sys.connect(await sys.login(grace, "Grace", "phone"));

    // Presence events of two near-simultaneous connections may be handled in either order, so
    // judge what frank's screen ends up showing: the latest update lists both of them.
    const update = await waitFor(() => {
      const latest = watcher.received.update_online_count.at(-1);
      return latest && userListHas(latest.user_list, grace) && userListHas(latest.user_list, frank) ? latest : null;
    }, 10_000, () => "an update_online_count listing frank and grace at frank's connection; got "
      + JSON.stringify(watcher.received.update_online_count));
    assert.equal(update.online_count, 2, `online_count counts frank and grace, the only users online: ${JSON.stringify(update)}`);
    assert.equal(update.user_list.length, 2, `user_list holds frank and grace only: ${JSON.stringify(update)}`);

    const res = await waitFor(async () => {
      const r = await sys.api("GET", "/api/online");
      const ids = (r.body?.users ?? []).map((u) => u.userId);
      return r.status === 200 && ids.includes(frank) && ids.includes(grace) ? r : null;
    }, 10_000, "GET /api/online to list frank and grace");
    assert.equal(res.body.onlineCount, 2, res.text);
    assert.equal(res.body.users.length, 2, res.text);
    const byId = Object.fromEntries(res.body.users.map((u) => [u.userId, u]));
    assert.equal(byId[frank].userName, "Frank");
    assert.equal(byId[grace].userName, "Grace");
  });
});
