// Browsers call PushFunctions from the main app's origin (negotiate, sync, the online list, room sends with an
// Idempotency-Key), so the preflight must allow that origin with those headers and credentials, and an origin that
// is not allowed must get no Access-Control-Allow-Origin (the browser then refuses the answer). The allowed origins
// are the system's CorsAllowedOrigins setting.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { http, startSystem, uid } from "../lib/system.mjs";

const ALLOWED = "http://127.0.0.1:5173"; // what startSystem sets in CorsAllowedOrigins
const REFUSED = "https://elsewhere.example";

describe("CORS", () => {
  let sys;
  before(async () => { sys = await startSystem({ name: "cors" }); });
  after(async () => { await sys?.stop(); });

  function preflight(path, origin, method, headers) {
    return http("OPTIONS", `${sys.apiUrl}${path}`, {
      headers: { origin, "access-control-request-method": method, "access-control-request-headers": headers },
    });
  }

  function assertAllowed(res, what) {
    assert.ok(res.status >= 200 && res.status < 300, `${what}: ${res.status} ${res.text}`);
    assert.equal(res.headers.get("access-control-allow-origin"), ALLOWED, what);
    assert.equal(res.headers.get("access-control-allow-credentials"), "true", `${what}: @microsoft/signalr negotiates with credentials`);
  }

  /** The request headers a preflight answer allows, lower case. */
  function allowedHeaders(res) {
    return (res.headers.get("access-control-allow-headers") ?? "").split(",").map((h) => h.trim().toLowerCase()).filter(Boolean);
  }

  it("a preflight from the allowed origin allows each call a browser makes, with its headers and credentials", async () => {
    for (const [method, path, headers] of [
      ["POST", "/api/negotiate?negotiateVersion=1", "authorization,x-requested-with,x-signalr-user-agent"],
      ["POST", "/api/sync", "authorization,content-type"],
      ["GET", "/api/online", "authorization"],
      ["POST", `/api/rooms/${uid("room")}/messages`, "authorization,content-type,idempotency-key"],
    ]) {
      const what = `preflight ${method} ${path}`;
      const res = await preflight(path, ALLOWED, method, headers);
      assertAllowed(res, what);
      const allowed = allowedHeaders(res);
      for (const header of headers.split(",")) assert.ok(allowed.includes(header), `${what}: ${header} in ${JSON.stringify(allowed)}`);
      const methods = (res.headers.get("access-control-allow-methods") ?? "").split(",").map((m) => m.trim());
      assert.ok(methods.includes(method), `${what}: ${method} in ${JSON.stringify(methods)}`);
    }
  });

  it("a preflight from an origin that is not allowed gets no Access-Control-Allow-Origin", async () => {
    const res = await preflight("/api/sync", REFUSED, "POST", "authorization,content-type");
    assert.equal(res.headers.get("access-control-allow-origin"), null, `${res.status} ${[...res.headers].join("; ")}`);
    assert.equal(res.headers.get("access-control-allow-credentials"), null);
  });

  it("the answers themselves carry the allowed origin, and only for it", async () => {
    const session = await sys.login(uid("cors"));
    const fromApp = await sys.api("POST", "/api/sync", { body: { cursors: {} }, auth: session, headers: { origin: ALLOWED } });
    assert.equal(fromApp.status, 200, fromApp.text);
    assertAllowed(fromApp, "sync from the allowed origin");

    const fromElsewhere = await sys.api("POST", "/api/sync", { body: { cursors: {} }, auth: session, headers: { origin: REFUSED } });
    assert.equal(fromElsewhere.headers.get("access-control-allow-origin"), null, "sync from another origin");

    // Refusals too: a browser must be able to read the 401 to send the user to sign in.
    const refused = await sys.api("POST", "/api/sync", { body: { cursors: {} }, auth: null, headers: { origin: ALLOWED } });
    assert.equal(refused.status, 401, refused.text);
    assert.equal(refused.headers.get("access-control-allow-origin"), ALLOWED, "a 401 from the allowed origin");
  });
});
