// Tandem: the demo page. Plain ES module, no build step.
//
// Data comes from this sample backend (/app/*, with the app token from sign-in). Live updates come
// from PushFunctions through the browser client (client/src/pushclient.js): private messages keep a
// user's own tabs and devices in step, room messages keep a shared list's members in step, and
// broadcasts carry notices. Every push about a list carries the list's `rev`: the page applies the
// next rev, ignores one it already has (e.g. loaded with the list) and reloads the list on a gap.
import { PushClient } from "pushclient";

const SESSION_KEY = "tandem:session";
const REASONS = {
  account_deleted: "Your account was deleted. Sign in again to start over.",
  session_revoked: "You were signed out on this device. Sign in again.",
  session_invalid: "Your session has ended. Sign in again.",
  logged_out: "You signed out.",
};
const STATE_LABELS = { connecting: "Connecting…", connected: "Live", reconnecting: "Reconnecting…", disconnected: "Offline" };

const $ = (id) => document.getElementById(id);

/** @type {{userId: string, userName: string, appToken: string, pushUrl: string, pushToken: string} | null} */
let session = null;
/** @type {PushClient | null} */
let push = null;
/** listId → the list as the backend sent it, kept current by pushes */
const lists = new Map();
let selectedId = null;
let online = { count: 0, users: [] };
const fresh = new Set(); // ids of todos to highlight once

// What the push client delivered, as "stream#seq", in order: the browser tests check it for duplicates.
window.tandem = { delivered: [] };

// ---- backend calls -------------------------------------------------------------------------

class HttpError extends Error {
  constructor(status, title) {
    super(title || `HTTP ${status}`);
    this.status = status;
  }
}

async function api(method, path, body) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (session) headers.Authorization = `Bearer ${session.appToken}`;
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  const data = text ? JSON.parse(text) : null;
  if (res.status === 401 && session) {
    endSession("session_invalid");
    throw new HttpError(401, data?.title);
  }
  if (!res.ok) throw new HttpError(res.status, data?.title);
  return data;
}

/** GET /api/online on PushFunctions itself (a browser route: the session token, CORS). */
async function loadOnline() {
  try {
    const res = await fetch(`${session.pushUrl}/api/online`, { headers: { Authorization: `Bearer ${session.pushToken}` } });
    if (!res.ok) return;
    const body = await res.json();
    online = { count: body.onlineCount, users: body.users ?? [] };
    renderOnline();
  } catch (error) {
    console.warn("tandem: could not load who is online", error);
  }
}

// ---- session -------------------------------------------------------------------------------

function boot() {
  try {
    session = JSON.parse(sessionStorage.getItem(SESSION_KEY) ?? "null");
  } catch {
    session = null;
  }
  if (session) void startApp();
  else showSignIn(new URLSearchParams(location.search).get("reason"));
}

function showSignIn(reason) {
  $("app").hidden = true;
  $("signin").hidden = false;
  $("signin-reason").hidden = !REASONS[reason];
  $("signin-reason").textContent = REASONS[reason] ?? "";
  $("signin-name").focus();
}

$("signin-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const button = event.submitter;
  button.disabled = true;
  $("signin-error").hidden = true;
  try {
    const res = await api("POST", "/app/signin", { name: $("signin-name").value });
    session = { userId: res.userId, userName: res.userName, appToken: res.appToken, pushUrl: res.pushUrl, pushToken: res.pushToken };
    sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
    history.replaceState(null, "", location.pathname);
    $("signin-name").value = "";
    await startApp();
  } catch (error) {
    $("signin-error").textContent = error.message;
    $("signin-error").hidden = false;
  } finally {
    button.disabled = false;
  }
});

$("signout").addEventListener("click", async () => {
  const ending = session;
  // PushFunctions' logout revokes this tab's push session; then forget the app token.
  await fetch(`${ending.pushUrl}/api/logout`, { method: "POST", headers: { Authorization: `Bearer ${ending.pushToken}` } }).catch(() => {});
  await api("POST", "/app/signout").catch(() => {});
  endSession("logged_out");
});

/** Back to the sign-in page: the account was deleted, the session revoked, or the user signed out. */
function endSession(reason) {
  if (!session) return;
  const ending = push;
  push = null;
  session = null;
  sessionStorage.removeItem(SESSION_KEY);
  void ending?.stop();
  lists.clear();
  selectedId = null;
  $("notices").replaceChildren();
  if ($("admin").open) $("admin").close();
  history.replaceState(null, "", `${location.pathname}?reason=${encodeURIComponent(reason)}`);
  showSignIn(reason);
}

async function startApp() {
  $("signin").hidden = true;
  $("app").hidden = false;
  $("me-name").textContent = session.userName;
  paintAvatar($("me-avatar"), session.userId, session.userName);

  // Made before the lists load: it reads its stored cursors now, so whatever happens between the
  // load and the connection still arrives, and what the load already had is ignored by rev.
  push = new PushClient({
    baseUrl: session.pushUrl,
    userId: session.userId,
    getSessionToken: () => session?.pushToken ?? "",
  });
  push.on("state", renderState);
  push.on("message", onMessage);
  push.on("room-message", onMessage);
  push.on("online", ({ onlineCount, userList }) => {
    online = { count: onlineCount, users: userList };
    renderOnline();
  });
  push.on("recovery-lost", () => void reloadAll());
  push.on("redirect-to-login", ({ reason }) => endSession(reason));
  push.on("error", (error) => console.warn("tandem: push client", error));
  renderState(push.state === "disconnected" ? "connecting" : push.state);

  try {
    await reloadAll();
  } catch (error) {
    if (error.status !== 401) toast(`Could not load your lists: ${error.message}`, "error");
    return;
  }
  const started = push;
  await started.start();
  if (push === started) await loadOnline();
}

// ---- pushes --------------------------------------------------------------------------------

function onMessage(message) {
  window.tandem.delivered.push(`${message.stream}#${message.seq}`);
  const payload = message.payload ?? {};
  if (payload.type === "notice") showNotice(payload, message);
  else if (payload.type === "list-added") void onListAdded(payload);
  else if (payload.listId) applyListChange(payload);
}

async function onListAdded({ listId, by, byName, name }) {
  await reloadList(listId);
  // The new room's stream: catch up now rather than at its first live message.
  await push?.sync();
  if (by !== session?.userId && name) toast(`${byName ?? by} shared “${name}” with you`);
}

/** Applies one change pushed for a list, in rev order. */
function applyListChange(change) {
  const list = lists.get(change.listId);
  if (!list) {
    // A list we do not have (yet): ask the backend, which knows whether it is ours.
    void reloadList(change.listId);
    return;
  }
  if (change.rev <= list.rev) return; // already in what we loaded
  if (change.rev > list.rev + 1) {
    void reloadList(change.listId); // missed one: take the backend's state
    return;
  }
  list.rev = change.rev;
  switch (change.type) {
    case "todo":
      applyTodo(list, change.op, change.todo, change.by);
      break;
    case "chat":
      if (!list.chat.some((m) => m.id === change.message.id)) list.chat.push(change.message);
      break;
    case "members":
      list.members = change.members;
      if (!list.members.some((m) => m.userId === session.userId)) lists.delete(list.id);
      break;
  }
  render();
}

/** Idempotent: this tab's own changes are applied on the response and again when their push arrives. */
function applyTodo(list, op, todo, by) {
  const index = list.todos.findIndex((t) => t.id === todo.id);
  if (op === "delete") {
    if (index >= 0) list.todos.splice(index, 1);
  } else if (index >= 0) {
    list.todos[index] = todo;
  } else if (op === "add") {
    list.todos.push(todo);
    if (by !== undefined) fresh.add(todo.id);
  }
}

async function reloadAll() {
  const all = await api("GET", "/app/lists");
  lists.clear();
  for (const list of all) lists.set(list.id, list);
  if (!lists.has(selectedId)) selectedId = all[0]?.id ?? null;
  render();
}

async function reloadList(listId) {
  try {
    const list = await api("GET", `/app/lists/${encodeURIComponent(listId)}`);
    const have = lists.get(listId);
    if (!have || list.rev >= have.rev) lists.set(listId, list);
  } catch (error) {
    if (error.status === 404) lists.delete(listId);
    else throw error;
  }
  if (!lists.has(selectedId)) selectedId = lists.keys().next().value ?? null;
  render();
}

// ---- actions -------------------------------------------------------------------------------

function selected() {
  return lists.get(selectedId);
}

async function act(what, action) {
  try {
    return await action();
  } catch (error) {
    if (error.status !== 401) toast(`${what}: ${error.message}`, "error");
    return undefined;
  }
}

$("todo-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const input = $("todo-text");
  const text = input.value.trim();
  const list = selected();
  if (!text || !list) return;
  input.value = "";
  const todo = await act("Could not add the todo", () => api("POST", `/app/lists/${list.id}/todos`, { text }));
  if (todo) {
    applyTodo(list, "add", todo);
    render();
  }
});

async function toggleTodo(list, todo, done) {
  const updated = await act("Could not update the todo", () => api("PATCH", `/app/lists/${list.id}/todos/${todo.id}`, { done }));
  if (updated) applyTodo(list, "update", updated);
  render();
}

async function deleteTodo(list, todo) {
  const removed = await act("Could not delete the todo", () => api("DELETE", `/app/lists/${list.id}/todos/${todo.id}`));
  if (removed) applyTodo(list, "delete", todo);
  render();
}

$("newlist-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const name = $("newlist-name").value.trim();
  if (!name) return;
  const list = await act("Could not create the list", () => api("POST", "/app/lists", { name }));
  if (!list) return;
  $("newlist-name").value = "";
  lists.set(list.id, list);
  selectedId = list.id;
  render();
  await push?.sync(); // the new room's stream
});

$("share-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const list = selected();
  const name = $("share-name").value.trim();
  if (!name || !list) return;
  const updated = await act("Could not share the list", () => api("POST", `/app/lists/${list.id}/members`, { name }));
  if (!updated) return;
  $("share-name").value = "";
  if (updated.rev >= list.rev) lists.set(updated.id, updated);
  render();
  toast(`Shared “${list.name}” with ${name}`);
});

$("chat-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const input = $("chat-text");
  const text = input.value.trim();
  const list = selected();
  if (!text || !list) return;
  input.value = "";
  const message = await act("Could not send the message", () => api("POST", `/app/lists/${list.id}/messages`, { text }));
  if (message && !list.chat.some((m) => m.id === message.id)) {
    list.chat.push(message);
    render();
  }
});

// ---- admin -----------------------------------------------------------------------------------

$("admin-open").addEventListener("click", async () => {
  const users = await act("Could not load the accounts", () => api("GET", "/app/users"));
  const select = $("delete-user");
  select.replaceChildren(...(users ?? []).map((u) => {
    const option = new Option(u.id === session.userId ? `${u.name} (you)` : u.name, u.id);
    return option;
  }));
  disarmDelete();
  $("admin").showModal();
});

$("notice-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const text = $("notice-text").value.trim();
  if (!text) return;
  const sent = await act("Could not send the notice", () => api("POST", "/app/admin/notices", { text }));
  if (sent) {
    $("notice-text").value = "";
    $("admin").close();
    toast("Notice sent to everyone");
  }
});

// Deleting takes two clicks: the button asks "Really…?" first.
function disarmDelete() {
  const button = $("delete-submit");
  button.classList.remove("armed");
  button.textContent = "Delete account";
}
$("delete-user").addEventListener("change", disarmDelete);
$("delete-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const button = $("delete-submit");
  const select = $("delete-user");
  if (!select.value) return;
  if (!button.classList.contains("armed")) {
    button.classList.add("armed");
    button.textContent = `Really delete ${select.selectedOptions[0].text}?`;
    return;
  }
  const userId = select.value;
  const result = await act("Could not delete the account", () => api("DELETE", `/app/admin/users/${encodeURIComponent(userId)}`));
  disarmDelete();
  if (!result) return;
  if ($("admin").open) $("admin").close();
  // Deleting your own account: PushFunctions sends this tab to sign-in as well.
  if (session && userId !== session.userId) toast(`Deleted the account ${userId}`);
});

// ---- rendering -------------------------------------------------------------------------------

function renderState(state) {
  $("conn").dataset.state = state;
  $("conn-label").textContent = STATE_LABELS[state] ?? state;
  if (state === "connected" && session) void loadOnline();
}

function render() {
  if (!session) return;
  renderLists();
  renderBoard();
  renderChat();
  renderOnline();
}

function renderLists() {
  const nav = $("lists");
  nav.replaceChildren(...[...lists.values()].map((list) => {
    const button = el("button", { type: "button", "data-testid": "list-link", "data-list-id": list.id });
    if (list.id === selectedId) button.setAttribute("aria-current", "true");
    const open = list.todos.filter((t) => !t.done).length;
    button.append(
      el("span", { class: `glyph ${list.shared ? "shared" : "personal"}`, "aria-hidden": "true" }),
      el("span", { class: "name" }, list.name),
      el("span", { class: "badge" }, open ? String(open) : ""),
    );
    button.addEventListener("click", () => {
      selectedId = list.id;
      render();
    });
    return button;
  }));
}

function renderBoard() {
  const list = selected();
  $("list-title").textContent = list?.name ?? "No list";
  const open = list ? list.todos.filter((t) => !t.done).length : 0;
  const total = list?.todos.length ?? 0;
  $("list-subtitle").textContent = !list ? ""
    : total === 0 ? (list.shared ? `Shared list · ${sharedWith(list)}` : "Only you can see this list")
    : `${open} open · ${total - open} done${list.shared ? ` · ${sharedWith(list)}` : ""}`;
  $("share-form").hidden = !list?.shared;
  $("todo-form").hidden = !list;
  const onlineIds = new Set(online.users.map((u) => u.userId));
  $("members").replaceChildren(...(list?.shared ? list.members : []).map((m) => {
    const avatar = el("span", { class: "avatar", title: m.name });
    paintAvatar(avatar, m.userId, m.name, onlineIds.has(m.userId));
    return avatar;
  }));

  const items = (list?.todos ?? []).map((todo) => {
    const li = el("li", { class: `todo${todo.done ? " done" : ""}${fresh.has(todo.id) ? " fresh" : ""}`, "data-testid": "todo", "data-todo-id": todo.id });
    const box = el("input", { type: "checkbox", "aria-label": `Done: ${todo.text}`, "data-testid": "todo-done" });
    box.checked = todo.done;
    box.addEventListener("change", () => void toggleTodo(list, todo, box.checked));
    const remove = el("button", { type: "button", class: "delete", "aria-label": `Delete ${todo.text}`, "data-testid": "todo-delete" }, "✕");
    remove.addEventListener("click", () => void deleteTodo(list, todo));
    li.append(box, el("span", { class: "text", "data-testid": "todo-text-value" }, todo.text), remove);
    return li;
  });
  fresh.clear();
  $("todos").replaceChildren(...items);
  $("todos-empty").hidden = !list || items.length > 0;
}

function sharedWith(list) {
  const others = list.members.filter((m) => m.userId !== session.userId).map((m) => m.name);
  if (others.length === 0) return "not shared with anyone yet";
  if (others.length <= 2) return `shared with ${others.join(" and ")}`;
  return `shared with ${others[0]} and ${others.length - 1} others`;
}

function renderChat() {
  const list = selected();
  const shared = Boolean(list?.shared);
  $("chat").hidden = !shared;
  $("app").classList.toggle("no-chat", !shared);
  if (!shared) return;
  $("chat-room").textContent = `· ${list.name}`;
  const box = $("chat-messages");
  const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 40;
  box.replaceChildren(...list.chat.map((m) => {
    const mine = m.from === session.userId;
    const li = el("li", { class: `msg${mine ? " mine" : ""}`, "data-testid": "chat-message", "data-message-id": m.id });
    const avatar = el("span", { class: "avatar", title: m.fromName });
    paintAvatar(avatar, m.from, m.fromName);
    const bubble = el("div", { class: "bubble" },
      el("span", { class: "who" }, mine ? "You" : m.fromName, el("time", { datetime: m.sentAt }, clock(m.sentAt))),
      el("span", { class: "text", "data-testid": "chat-text-value" }, m.text));
    li.append(avatar, bubble);
    return li;
  }));
  $("chat-empty").hidden = list.chat.length > 0;
  if (atBottom || list.chat.at(-1)?.from === session.userId) box.scrollTop = box.scrollHeight;
}

function renderOnline() {
  $("online-count").textContent = String(online.count);
  const people = [...online.users].sort((a, b) => (a.userId === session?.userId ? -1 : b.userId === session?.userId ? 1 : a.userName.localeCompare(b.userName)));
  $("online").replaceChildren(...(people.length ? people.map((u) => {
    const avatar = el("span", { class: "avatar online" });
    paintAvatar(avatar, u.userId, u.userName, true);
    return el("li", { "data-testid": "online-user", "data-user-id": u.userId }, avatar,
      el("span", {}, u.userName), u.userId === session?.userId ? el("span", { class: "you" }, "you") : "");
  }) : [el("li", { class: "people-empty" }, "Nobody else right now.")]));
}

function showNotice(notice, message) {
  const item = el("div", { class: "notice", role: "status", "data-testid": "notice", "data-seq": String(message.seq) },
    el("span", { class: "icon", "aria-hidden": "true" }),
    el("span", { class: "body" }, el("strong", {}, notice.text), el("span", { class: "meta" }, `${notice.byName ?? "Admin"} · ${clock(message.sentAt)}`)));
  const dismiss = el("button", { type: "button", "aria-label": "Dismiss" }, "Dismiss");
  dismiss.addEventListener("click", () => item.remove());
  item.append(dismiss);
  $("notices").prepend(item);
  while ($("notices").children.length > 3) $("notices").lastElementChild.remove();
}

function toast(text, kind = "") {
  const item = el("div", { class: `toast ${kind}`, "data-testid": "toast" }, text);
  $("toasts").append(item);
  setTimeout(() => item.remove(), 4000);
}

// ---- small helpers ---------------------------------------------------------------------------

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  node.append(...children.filter((c) => c !== "" && c != null));
  return node;
}

function paintAvatar(node, id, name, isOnline = false) {
  let hash = 0;
  for (const c of id) hash = (hash * 31 + c.charCodeAt(0)) % 360;
  node.style.setProperty("--hue", String(hash));
  node.textContent = initials(name);
  node.classList.toggle("online", isOnline);
}

function initials(name) {
  const parts = String(name ?? "?").trim().split(/\s+/);
  return ((parts[0]?.[0] ?? "?") + (parts.length > 1 ? parts.at(-1)[0] : "")).toUpperCase();
}

function clock(iso) {
  const date = iso ? new Date(iso) : new Date();
  return date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

boot();
