// Takes docs/demo.png: the demo page as Alice sees it, with Bob online, a shared list, todos and chat.
// Needs a running system: `bash scripts/dev.sh`, then
//   node tests/browser/tools/demo-screenshot.mjs [PAGE_URL] [OUT_FILE]
// (defaults: http://127.0.0.1:5173 and docs/demo.png). The names are fixed (the picture should look
// real), so run it against a freshly started system.
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const pageUrl = process.argv[2] ?? "http://127.0.0.1:5173";
const out = path.resolve(process.argv[3] ?? path.join(root, "docs/demo.png"));

const browser = await chromium.launch({
  executablePath: process.env.BROWSER_TEST_CHROMIUM ?? "/usr/bin/chromium",
  headless: true,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
try {
  const open = async (name) => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 760 }, deviceScaleFactor: 1 });
    context.setDefaultTimeout(20_000);
    const page = await context.newPage();
    await page.goto(pageUrl);
    await page.getByTestId("signin-name").fill(name);
    await page.getByTestId("signin-submit").click();
    await page.locator('[data-testid="connection"][data-state="connected"]').waitFor();
    return page;
  };
  const type = async (page, testId, text) => {
    await page.getByTestId(testId).fill(text);
    await page.getByTestId(testId).press("Enter");
    await sleep(250);
  };

  const alice = await open("Alice Martin");
  const bob = await open("Bob Chen");
  await type(alice, "todo-text", "Renew passport");
  await type(alice, "newlist-name", "Weekend trip");
  await alice.getByTestId("share-name").fill("Bob Chen");
  await alice.getByTestId("share-submit").click();
  await alice.getByTestId("members").locator(".avatar").nth(1).waitFor();
  for (const todo of ["Book the cabin", "Pack the tent", "Buy snacks", "Charge the camera"]) await type(alice, "todo-text", todo);
  await bob.getByTestId("list-link").filter({ hasText: "Weekend trip" }).click();
  await bob.getByTestId("todo").filter({ hasText: "Charge the camera" }).waitFor();
  await bob.getByTestId("todo").filter({ hasText: "Book the cabin" }).getByTestId("todo-done").check();
  await type(bob, "todo-text", "Check the weather");
  await type(alice, "chat-text", "Cabin is booked for Saturday!");
  await type(bob, "chat-text", "Nice! I ticked it. Who brings the stove?");
  await type(alice, "chat-text", "I will. Can you get snacks?");
  await type(bob, "chat-text", "On it, see you Saturday");
  await bob.getByTestId("todo").filter({ hasText: "Buy snacks" }).getByTestId("todo-done").check();
  await alice.getByTestId("chat-message").filter({ hasText: "see you Saturday" }).waitFor();
  await bob.getByTestId("admin-open").click();
  await bob.getByTestId("notice-text").fill("Tandem gets a short update tonight at 22:00. Your lists are safe.");
  await bob.getByTestId("notice-send").click();
  await alice.getByTestId("notice").waitFor();
  await sleep(1500);
  await alice.screenshot({ path: out });
  console.log(`wrote ${out}`);
} finally {
  await browser.close();
}
