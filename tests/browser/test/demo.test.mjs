// The demo page in headless Chromium against the whole system: redis-server, the SignalR emulator,
// PushFunctions and the sample backend, as processes. Each test uses its own users (names with a
// random suffix), so the tests share one system and never depend on each other.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { chatTexts, delivered, eventually, startDemo, todoTexts, waitLive } from "../lib/demo.mjs";

let demo;
before(async () => { demo = await startDemo({ name: "browser-demo" }); });
after(() => demo?.stop());

/** A display name unique to this run: "Alice 3f9a1c" (its user id: "alice-3f9a1c"). */
const person = (name) => `${name} ${randomBytes(3).toString("hex")}`;
const idOf = (name) => name.toLowerCase().replace(/[^a-z0-9]+/g, "-");

async function addTodo(page, text) {
  await page.getByTestId("todo-text").fill(text);
  await page.getByTestId("todo-text").press("Enter");
  await page.getByTestId("todo").filter({ hasText: text }).waitFor();
}

async function sendChat(page, text) {
  await page.getByTestId("chat-text").fill(text);
  await page.getByTestId("chat-text").press("Enter");
  await page.getByTestId("chat-message").filter({ hasText: text }).waitFor();
}

async function openList(page, listName) {
  const link = page.getByTestId("list-link").filter({ hasText: listName });
  await link.click();
  await page.getByTestId("list-title").filter({ hasText: listName }).waitFor();
}

/** Alice creates a shared list and shares it with Bob; both pages end up showing it. */
async function shareList(owner, guest, listName, guestName) {
  await owner.getByTestId("newlist-name").fill(listName);
  await owner.getByTestId("newlist-name").press("Enter");
  await owner.getByTestId("list-title").filter({ hasText: listName }).waitFor();
  await owner.getByTestId("share-name").fill(guestName);
  await owner.getByTestId("share-submit").click();
  await owner.getByTestId("members").locator(".avatar").nth(1).waitFor();
  await openList(guest, listName);
}

function assertNoDuplicates(list, what) {
  const seen = new Set();
  for (const item of list) {
    assert.ok(!seen.has(item), `${what}: ${item} delivered twice (all: ${list.join(", ")})`);
    seen.add(item);
  }
}

/** The page's delivered "stream#seq" entries are unique and increase per stream. */
async function assertDeliveredOnceInOrder(page, what) {
  const items = await delivered(page);
  assertNoDuplicates(items, what);
  const last = new Map();
  for (const item of items) {
    const [stream, seq] = [item.slice(0, item.lastIndexOf("#")), Number(item.slice(item.lastIndexOf("#") + 1))];
    assert.ok(seq > (last.get(stream) ?? 0), `${what}: ${item} came after seq ${last.get(stream)} of its stream`);
    last.set(stream, seq);
  }
  return items;
}

function assertNoPageErrors(...pages) {
  for (const page of pages) {
    // A tab that was offline logs failed fetches; only script errors count here.
    const errors = page.errors.filter((e) => e.startsWith("pageerror"));
    assert.deepEqual(errors, [], "uncaught errors in the page");
  }
}

test("one user in two tabs: a todo added, ticked and deleted in one tab shows in the other", async () => {
  const name = person("Alice");
  const context = await demo.newContext();
  try {
    const tab1 = await demo.signIn(context, name);
    const tab2 = await demo.signIn(context, name);

    await addTodo(tab1, "Buy oat milk");
    await addTodo(tab1, "Book the dentist");
    await eventually(() => todoTexts(tab2), (t) => t.join("|") === "Buy oat milk|Book the dentist", "both todos in the second tab");

    await tab2.getByTestId("todo").filter({ hasText: "Buy oat milk" }).getByTestId("todo-done").check();
    await eventually(() => tab1.getByTestId("todo").filter({ hasText: "Buy oat milk" }).getByTestId("todo-done").isChecked(),
      Boolean, "the tick to reach the first tab");

    await tab1.getByTestId("todo").filter({ hasText: "Book the dentist" }).hover();
    await tab1.getByTestId("todo").filter({ hasText: "Book the dentist" }).getByTestId("todo-delete").click();
    await eventually(() => todoTexts(tab2), (t) => t.join("|") === "Buy oat milk", "the deletion to reach the second tab");

    // Each change was one private message on the user's stream, delivered once to each tab. A tab shows its
    // own change at once, so its copy of the push may still be on its way: wait for it, then count.
    const ofUser = (items) => items.filter((i) => i.startsWith(`user:${idOf(name)}#`));
    for (const tab of [tab1, tab2]) {
      await eventually(() => delivered(tab), (items) => ofUser(items).length >= 4, "all four pushes in each tab");
      const items = await assertDeliveredOnceInOrder(tab, "private pushes");
      assert.equal(ofUser(items).length, 4, `4 pushes (add, add, tick, delete): ${items}`);
    }
    assertNoPageErrors(tab1, tab2);
  } finally {
    await context.close();
  }
});

test("two users share a list: its todos sync and they chat in its room", async () => {
  const bobName = person("Bob");
  const carolName = person("Carol");
  const [bobContext, carolContext] = [await demo.newContext(), await demo.newContext()];
  try {
    const bob = await demo.signIn(bobContext, bobName);
    const carol = await demo.signIn(carolContext, carolName);
    await shareList(bob, carol, "Groceries", carolName);

    await addTodo(bob, "Apples");
    await eventually(() => todoTexts(carol), (t) => t.join("|") === "Apples", "Bob's todo on Carol's page");
    await addTodo(carol, "Bread");
    await eventually(() => todoTexts(bob), (t) => t.join("|") === "Apples|Bread", "Carol's todo on Bob's page");

    await sendChat(carol, "Hi Bob, I added bread");
    await eventually(() => chatTexts(bob), (t) => t.join("|") === "Hi Bob, I added bread", "Carol's message on Bob's page");
    await sendChat(bob, "Great, thanks!");
    await eventually(() => chatTexts(carol), (t) => t.join("|") === "Hi Bob, I added bread|Great, thanks!", "the conversation on Carol's page");
    assert.deepEqual(await chatTexts(bob), ["Hi Bob, I added bread", "Great, thanks!"]);

    for (const page of [bob, carol]) await assertDeliveredOnceInOrder(page, "room pushes");
    assertNoPageErrors(bob, carol);
  } finally {
    await bobContext.close();
    await carolContext.close();
  }
});

test("a broadcast notice shows once in every open tab", async () => {
  const daveName = person("Dave");
  const [daveContext, erinContext] = [await demo.newContext(), await demo.newContext()];
  try {
    const dave1 = await demo.signIn(daveContext, daveName);
    const dave2 = await demo.signIn(daveContext, daveName);
    const erin = await demo.signIn(erinContext, person("Erin"));

    const text = `Maintenance tonight at 22:00 (${randomBytes(3).toString("hex")})`;
    await dave1.getByTestId("admin-open").click();
    await dave1.getByTestId("notice-text").fill(text);
    await dave1.getByTestId("notice-send").click();

    for (const page of [dave1, dave2, erin]) {
      await page.getByTestId("notice").filter({ hasText: text }).waitFor();
    }
    await sleep(1500); // a duplicate would arrive within this
    for (const page of [dave1, dave2, erin]) {
      assert.equal(await page.getByTestId("notice").filter({ hasText: text }).count(), 1, "the notice shows once");
      await assertDeliveredOnceInOrder(page, "broadcast");
    }
    assertNoPageErrors(dave1, dave2, erin);
  } finally {
    await daveContext.close();
    await erinContext.close();
  }
});

test("a tab that was offline shows what it missed once, in order, when it is back", async () => {
  const frankName = person("Frank");
  const ginaName = person("Gina");
  const [frankContext, ginaContext] = [await demo.newContext(), await demo.newContext()];
  try {
    const frank = await demo.signIn(frankContext, frankName);
    const gina = await demo.signIn(ginaContext, ginaName);
    await shareList(frank, gina, "Trip", ginaName);
    await sendChat(frank, "before");
    await eventually(() => chatTexts(gina), (t) => t.join("|") === "before", "the first message on Gina's page");

    await ginaContext.setOffline(true);
    // An offline context keeps its open WebSocket; the client notices when the server's pings stop, after its
    // 30 s server timeout, so allow well over that.
    await gina.locator('[data-testid="connection"]:not([data-state="connected"])').waitFor({ timeout: 75_000 });

    const missed = ["one", "two", "three", "four", "five"];
    for (const text of missed) await sendChat(frank, text);
    await addTodo(frank, "Pack the tent");
    await sleep(500);
    assert.deepEqual(await chatTexts(gina), ["before"], "nothing arrives while offline");

    await ginaContext.setOffline(false);
    await waitLive(gina);
    await eventually(() => chatTexts(gina), (t) => t.length >= 6, "the missed messages on Gina's page", 30_000);
    await sleep(1000); // a duplicate would arrive within this
    assert.deepEqual(await chatTexts(gina), ["before", ...missed], "each missed message once, in order");
    assert.deepEqual(await todoTexts(gina), ["Pack the tent"]);
    await assertDeliveredOnceInOrder(gina, "after coming back online");
    assertNoPageErrors(gina);
  } finally {
    await frankContext.close();
    await ginaContext.close();
  }
});

test("a reload shows every todo and message once, and redelivers nothing", async () => {
  const hankName = person("Hank");
  const idaName = person("Ida");
  const [hankContext, idaContext] = [await demo.newContext(), await demo.newContext()];
  try {
    const hank = await demo.signIn(hankContext, hankName);
    const ida = await demo.signIn(idaContext, idaName);
    await shareList(ida, hank, "Garden", hankName);
    await addTodo(ida, "Water the roses");
    await sendChat(ida, "roses need water");
    await sendChat(ida, "and the basil");
    await eventually(() => chatTexts(hank), (t) => t.length === 2, "Ida's messages on Hank's page");
    const before = await assertDeliveredOnceInOrder(hank, "before the reload");

    await hank.reload();
    await waitLive(hank);
    await openList(hank, "Garden");
    await sleep(1500); // a redelivery would arrive within this
    assert.deepEqual(await todoTexts(hank), ["Water the roses"]);
    assert.deepEqual(await chatTexts(hank), ["roses need water", "and the basil"]);
    const afterReload = await delivered(hank);
    assert.deepEqual(afterReload.filter((i) => before.includes(i)), [], "nothing delivered before the reload is delivered again");

    await sendChat(ida, "after the reload");
    await eventually(() => chatTexts(hank), (t) => t.length === 3, "a new message after the reload");
    assert.deepEqual(await chatTexts(hank), ["roses need water", "and the basil", "after the reload"]);
    await assertDeliveredOnceInOrder(hank, "after the reload");
    assertNoPageErrors(hank, ida);
  } finally {
    await hankContext.close();
    await idaContext.close();
  }
});

test("who is online updates live, and deleting an account sends its open tabs to the sign-in page", async () => {
  const ivanName = person("Ivan");
  const judyName = person("Judy");
  const [ivanContext, judyContext] = [await demo.newContext(), await demo.newContext()];
  try {
    const judy = await demo.signIn(judyContext, judyName);
    const ivan1 = await demo.signIn(ivanContext, ivanName);
    const ivan2 = await demo.signIn(ivanContext, ivanName);
    const ivanOnJudysPage = judy.locator(`[data-testid="online-user"][data-user-id="${idOf(ivanName)}"]`);
    await ivanOnJudysPage.waitFor();

    await judy.getByTestId("admin-open").click();
    await judy.getByTestId("delete-user").selectOption(idOf(ivanName));
    await judy.getByTestId("delete-submit").click(); // arms
    await judy.getByTestId("delete-submit").click(); // deletes

    for (const tab of [ivan1, ivan2]) {
      await tab.locator("#signin-reason").filter({ hasText: "Your account was deleted" }).waitFor();
      assert.equal(await tab.locator("#app").isVisible(), false, "the app is hidden");
      assert.equal(await tab.evaluate(() => sessionStorage.getItem("tandem:session")), null, "the session is forgotten");
    }
    await ivanOnJudysPage.waitFor({ state: "detached" });

    // The old session is gone for good: a reload stays on the sign-in page.
    await ivan1.reload();
    await ivan1.getByTestId("signin-name").waitFor();
    assert.equal(await ivan1.locator("#app").isVisible(), false);
    assertNoPageErrors(judy);
  } finally {
    await ivanContext.close();
    await judyContext.close();
  }
});

test("the server key never reaches the browser", async () => {
  const res = await fetch(`${demo.pageUrl}/app/signin`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name: person("Kim") }),
  });
  assert.equal(res.status, 200);
  const body = await res.text();
  assert.ok(!body.includes(demo.sys.serverKey), "the sign-in response has no server key");
  assert.ok(JSON.parse(body).pushToken, "it has the push session token");
  for (const file of ["/", "/app.js", "/index.html"]) {
    const text = await (await fetch(`${demo.pageUrl}${file}`)).text();
    assert.ok(!text.includes(demo.sys.serverKey), `${file} has no server key`);
  }
  assert.equal((await fetch(`${demo.pageUrl}/app/lists`)).status, 401, "the backend's routes need the app token");
});
