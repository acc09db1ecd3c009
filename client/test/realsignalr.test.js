// The real @microsoft/signalr client against a throwaway HTTP server: checks the parts the
// fakes cannot vouch for (the negotiate URL, the bearer token, how a 401 surfaces).
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { after, before, describe, it } from "node:test";
import * as signalR from "@microsoft/signalr";
import ws from "ws";
import { PushClient } from "../src/pushclient.js";
import { FakeStorage, MemoryLogger } from "./fakes.js";

const RECORD_SEPARATOR = "\u001e";

/** @param {import("node:http").IncomingMessage} request */
async function readJson(request) {
  let body = "";
  for await (const chunk of request) body += chunk;
  return JSON.parse(body);
}

describe("PushClient with the real SignalR client and a service stand-in", () => {
  // Just enough of our API (negotiate redirect, sync) and of SignalR Service (its negotiate,
  // a WebSocket speaking the JSON hub protocol) for one connection.
  const live = { id: "user:u1#2", stream: "user:u1", seq: 2, from: "server", payload: "live", sentAt: "2026-01-01T00:00:00Z" };
  const synced = { ...live, id: "user:u1#1", seq: 1, payload: "synced" };
  /** @type {{url?: string, authorization?: string}[]} */
  const requests = [];
  /** @type {string[]} */
  const serviceTokens = [];
  let baseUrl = "";
  const server = createServer((request, response) => {
    requests.push({ url: request.url, authorization: request.headers.authorization });
    const reply = (/** @type {unknown} */ body) => {
      response.writeHead(200, { "Content-Type": "application/json" });
      response.end(JSON.stringify(body));
    };
    if (request.url?.startsWith("/api/negotiate")) return reply({ url: `${baseUrl}/client/?hub=push`, accessToken: "service-token" });
    if (request.url?.startsWith("/client/negotiate")) {
      serviceTokens.push(request.headers.authorization ?? "");
      return reply({ negotiateVersion: 1, connectionId: "c1", connectionToken: "t1", availableTransports: [{ transport: "WebSockets", transferFormats: ["Text"] }] });
    }
    if (request.url === "/api/sync") {
      return readJson(request).then(({ cursors }) => {
        const messages = [synced, live].filter((m) => m.seq > (cursors["user:u1"] ?? 0));
        reply({ streams: { "user:u1": { messages, latestSeq: 2, recovered: true, more: false } } });
      });
    }
    response.writeHead(404).end();
  });
  const sockets = new ws.Server({ server });
  sockets.on("connection", (socket) => {
    socket.once("message", () => {
      socket.send(`{}${RECORD_SEPARATOR}`); // handshake accepted
      setTimeout(() => socket.send(JSON.stringify({ type: 1, target: "message", arguments: [live] }) + RECORD_SEPARATOR), 20);
    });
  });

  before(async () => {
    await new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(undefined)));
    baseUrl = `http://127.0.0.1:${/** @type {import("node:net").AddressInfo} */ (server.address()).port}`;
  });
  after(() => {
    sockets.close();
    server.close();
  });

  it("follows the negotiate redirect, syncs, and delivers the synced and the live message once each", async () => {
    const client = new PushClient({ baseUrl, sessionToken: "session-1", userId: "u1", storage: new FakeStorage(), signalR, logger: new MemoryLogger() });
    /** @type {unknown[]} */
    const payloads = [];
    client.on("message", (m) => payloads.push(m.payload));
    const bothDelivered = new Promise((resolve) => client.on("message", () => { if (payloads.length === 2) resolve(undefined); }));
    const livePushed = new Promise((resolve) => sockets.once("connection", (socket) => socket.on("close", resolve)));
    await client.start();
    await bothDelivered; // the synced message, and the live push that comes 20 ms after the handshake
    await client.stop();
    await livePushed;

    assert.deepEqual(payloads, ["synced", "live"]);
    const ours = requests.filter((r) => r.url?.startsWith("/api/"));
    assert.deepEqual(ours[0], { url: "/api/negotiate?negotiateVersion=1", authorization: "Bearer session-1" });
    // A second sync happens when the live message beats the first sync's answer.
    assert.deepEqual(new Set(ours.slice(1).map((r) => `${r.url} ${r.authorization}`)), new Set(["/api/sync Bearer session-1"]));
    assert.deepEqual(serviceTokens, ["Bearer service-token"]);
  });
});

describe("PushClient with the real SignalR client", () => {
  /** @type {{method?: string, url?: string, authorization?: string}[]} */
  const requests = [];
  const server = createServer((request, response) => {
    requests.push({ method: request.method, url: request.url, authorization: request.headers.authorization });
    response.writeHead(401, { "Content-Type": "application/problem+json" });
    response.end(JSON.stringify({ title: "The session is not valid" }));
  });
  let baseUrl = "";

  before(async () => {
    await new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(undefined)));
    const address = /** @type {import("node:net").AddressInfo} */ (server.address());
    baseUrl = `http://127.0.0.1:${address.port}`;
  });
  after(() => server.close());

  it("treats a 401 from negotiate as an invalid session: redirect-to-login, cursors cleared, no retries", async () => {
    const storage = new FakeStorage();
    storage.setItem("pushclient:v1:u1:cursors", JSON.stringify({ "user:u1": 3 }));
    const client = new PushClient({ baseUrl, sessionToken: "revoked", userId: "u1", storage, signalR, logger: new MemoryLogger(), retryDelay: () => 0 });
    /** @type {unknown[]} */
    const redirects = [];
    const redirected = new Promise((resolve) => client.on("redirect-to-login", (value) => resolve(redirects.push(value))));
    await Promise.all([client.start(), redirected]);

    assert.deepEqual(redirects, [{ reason: "session_invalid" }]);
    assert.equal(storage.getItem("pushclient:v1:u1:cursors"), null);
    assert.equal(client.state, "disconnected");
    assert.equal(requests.length, 1, "no retry with a revoked session");
    assert.equal(requests[0].method, "POST");
    assert.match(requests[0].url ?? "", /^\/api\/negotiate\?negotiateVersion=1$/);
    assert.equal(requests[0].authorization, "Bearer revoked");
  });
});
