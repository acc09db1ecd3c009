// The Microsoft Entra path (AuthType=azure.msi, what infra/main.bicep deploys) end to end.
// The emulator refuses access keys; the app gets Entra tokens through Azure.Identity from the
// emulator's managed-identity endpoint, signs client tokens with a temporary access key, and checks
// the Entra bearer token on upstream calls. (The other e2e files run in this mode too: E2E_AUTH=entra.)
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { http, startSystem, uid, waitFor } from "../lib/system.mjs";

function jwtPart(token, index) {
  return JSON.parse(Buffer.from(token.split(".")[index], "base64url").toString("utf8"));
}

/** An HS256 token for `audience` signed with `key`, as the SignalR SDK signs access-key tokens. */
function accessKeyToken(key, audience) {
  const part = (value) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const now = Math.floor(Date.now() / 1000);
  const unsigned = `${part({ alg: "HS256", typ: "JWT" })}.${part({ aud: audience, iat: now, nbf: now, exp: now + 300 })}`;
  return `${unsigned}.${createHmac("sha256", key).update(unsigned).digest("base64url")}`;
}

describe("Microsoft Entra auth mode", () => {
  let sys;
  before(async () => { sys = await startSystem({ name: "entra-auth", auth: "entra" }); });
  after(async () => { await sys?.stop(); });

  it("delivers with Entra tokens only: the emulator accepts no access key here", async () => {
    const user = uid("entra");
    const conn = await sys.connect(await sys.login(user));
    const res = await sys.sendToUser(user, { n: 1 });
    assert.equal(res.status, 202, res.text);
    await waitFor(() => conn.messages().length === 1, 10_000, "the message over the Entra path");

    // The REST call went through with an Entra token: a well-formed token signed with the emulator's own access
    // key is refused by this emulator, for that reason.
    const sendUrl = `${sys.emulatorUrl}/api/hubs/push/:send`;
    const refused = await http("POST", `${sendUrl}?api-version=2022-06-01`,
      { body: { target: "t" }, headers: { authorization: `Bearer ${accessKeyToken(sys.accessKey, sendUrl)}` } });
    assert.equal(refused.status, 401, refused.text);
    assert.match(refused.body?.message ?? "", /Local auth is disabled/, refused.text);
    const stats = await sys.emulatorStats();
    assert.ok(stats.restCallsByOperation.sendToUser >= 1, JSON.stringify(stats));
  });

  it("accepts the emulator's upstream calls by their Entra bearer token (keys from SignalRUpstreamAuthority)", async () => {
    const user = uid("entra");
    await sys.connect(await sys.login(user));
    // The connected event is accepted only if the app validated the bearer token: a 401 counts as failed.
    await waitFor(async () => {
      const online = await sys.api("GET", "/api/online?limit=1000");
      return online.body?.users?.some((u) => u.userId === user);
    }, 10_000, "the user online after the upstream connected event");
    const { upstream } = await sys.emulatorStats();
    assert.equal(upstream.failed, 0, JSON.stringify(upstream));
  });

  it("signs client tokens with a temporary access key named by kid, fetched once", async () => {
    const session = await sys.login(uid("entra"));
    const tokens = [];
    for (let i = 0; i < 3; i++) {
      const res = await sys.api("POST", "/api/negotiate?negotiateVersion=1", { auth: session });
      assert.equal(res.status, 200, res.text);
      tokens.push(res.body.accessToken);
    }
    const kids = new Set(tokens.map((t) => jwtPart(t, 0).kid));
    assert.equal(kids.size, 1, `one temporary key for every negotiate: ${[...kids]}`);
    assert.match([...kids][0], /^[0-9a-f]{32}$/);
    assert.equal(new URL(jwtPart(tokens[0], 1).aud).port, "", "the client audience leaves out the port, as the SDK's does");
    const stats = await sys.emulatorStats();
    assert.equal(stats.restCallsByOperation.getAccessKey, 1, JSON.stringify(stats.restCallsByOperation));
  });

  it("refuses an upstream call that has a valid signature but no Entra bearer token", async () => {
    // Signed as the emulator signs its upstream calls: the connection id, with its access key.
    const connectionId = uid("conn");
    const signature = `sha256=${createHmac("sha256", sys.accessKey).update(connectionId).digest("hex")}`;
    const res = await http("POST", `${sys.apiUrl}/api/signalr/push/connections/connected`, {
      body: { type: 10 },
      headers: { "x-asrs-connection-id": connectionId, "x-asrs-user-id": "u1", "x-asrs-hub": "push", "x-asrs-category": "connections",
        "x-asrs-event": "connected", "x-asrs-signature": signature },
    });
    assert.equal(res.status, 401, res.text);
    assert.match(res.text, /Microsoft Entra|bearer/i);
  });
});

describe("Microsoft Entra auth mode with AuthType=azure (DefaultAzureCredential)", () => {
  let sys;
  before(async () => { sys = await startSystem({ name: "entra-auth-default", auth: "entra", authType: "azure" }); });
  after(async () => { await sys?.stop(); });

  it("finds the managed identity through DefaultAzureCredential and delivers", async () => {
    const user = uid("entra-default");
    const conn = await sys.connect(await sys.login(user));
    const res = await sys.sendToUser(user, { n: 1 });
    assert.equal(res.status, 202, res.text);
    await waitFor(() => conn.messages().length === 1, 10_000, "the message over DefaultAzureCredential");
    const stats = await sys.emulatorStats();
    assert.equal(stats.restCallsByOperation.getAccessKey, 1, JSON.stringify(stats.restCallsByOperation));
  });
});
