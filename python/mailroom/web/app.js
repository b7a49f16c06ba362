// The mailroom web client: the folder tree, the message list and the reader,
// kept live over the WebSocket /api/events, with keyboard shortcuts. Every
// request goes through api() (api.js). At 360 px one pane shows at a time:
// body.view-folders, view-list or view-reader.
"use strict";

import { ApiError, api, byId, el, paths, say } from "./api.js";
import { loadFolders, moveOptions, renderTree, specialFolder } from "./folders.js";
import { PAGE, listed, loadPage, markCurrent, rowOf, rows, showListError, updateRow } from "./list.js";
import { clearReader, showFlags, showMessage, showRemote, showView } from "./reader.js";
import { answer, compose, composing, leave, reopenDraft, wireCompose } from "./compose.js";

const state = {
  account: null,  // null: every INBOX (Mailpit's list)
  folder: "INBOX",
  start: 0,
  sort: "",
  order: "desc",
  threaded: false,
  query: null,    // a search of every INBOX when not null
  current: null,  // {ID, account, folder, Flags} of the open message
  accounts: [],
};

let beforeCompose = "list";  // the view compose returns to
function show(view) {
  // Leaving a changed compose form keeps it as a draft.
  if (view !== "compose" && composing()) leave().then(() => refresh()).catch(fail);
  if (view === "compose" && !composing()) beforeCompose = document.body.classList.contains("view-reader") ? "reader" : "list";
  document.body.classList.remove("view-folders", "view-list", "view-reader", "view-compose");
  document.body.classList.add(`view-${view}`);
}

function fail(e) {
  if (!(e instanceof ApiError && e.status === 401)) say(e.message || String(e), { error: true });
}

async function refreshFolders() {
  state.accounts = await loadFolders();
  renderTree(state.accounts, state, choose);
  byId("c-accounts").replaceChildren(...state.accounts.map((a) => el("option", { value: a.Address })));
  const all = byId("tree");
  all.prepend(el("li", { role: "treeitem", "aria-level": "1" },
    el("button", {
      type: "button", class: `folder all${state.account === null && state.query === null ? " current" : ""}`,
      "aria-label": "Every INBOX", onclick: () => choose(null, "INBOX"),
    }, el("span", { class: "icon", "aria-hidden": "true", text: "✉" }), el("span", { class: "name", text: "Every INBOX" }))));
}

function title() {
  if (state.query !== null) return `Search: ${state.query}`;
  if (state.account === null) return "Every INBOX";
  return `${state.folder} — ${state.account}`;
}

let painted = false;
async function refreshList() {
  const shown = title();
  byId("list-title").textContent = shown;
  const inFolder = state.account !== null && state.query === null;
  byId("threaded").disabled = !inFolder;
  byId("sort").disabled = !inFolder || state.threaded;
  byId("order").disabled = !inFolder || state.threaded;
  const focused = document.activeElement && document.activeElement.closest("#messages li");
  let got;
  try {
    got = await loadPage(state, { open, flag: setFlagged });
  } catch (e) {
    // The rows shown were another list's: they go, and the list says why.
    if (title() === shown && !(e instanceof ApiError && e.status === 401))
      showListError(shown, e, () => refresh().catch(fail));
    throw e;
  }
  if (!got) return got;
  // Which list the rows are, once they are in (tests wait for it).
  byId("messages").dataset.shown = shown;
  if (state.current) markCurrent(state.current.ID);
  await closeIfGone();
  // A refresh (a live event) keeps the keyboard where it was.
  const again = focused && rowOf(focused.dataset.id);
  if (again) {
    again.tabIndex = 0;
    again.focus();
  }
  // Time to first render (benchmarks/http_bench.py): the first list, painted.
  if (!painted) {
    painted = true;
    requestAnimationFrame(() => setTimeout(() => performance.mark("mailroom:list-painted"), 0));
  }
  return got;
}

async function refresh() {
  await Promise.all([refreshFolders(), refreshList()]);
}

// The open message may have left the list shown: moved or deleted by another
// client, or moved while a reply to it was written (a sent reply finds its
// original by Message-ID wherever it went). Its ID names its folder and UID,
// so a 404 says it is no longer where the reader found it: the reader closes.
async function closeIfGone() {
  const c = state.current;
  if (!c || rowOf(c.ID)) return;
  try {
    await api(paths.message(c.ID));
    return;  // still there, on another page of the list
  } catch (e) {
    if (!(e instanceof ApiError && e.status === 404)) throw e;
  }
  if (state.current !== c) return;
  state.current = null;
  // Said in the reader's place, not in the toast: that may be saying "Sent".
  clearReader(`“${c.Subject || "(no subject)"}” is no longer in ${c.folder}: it was moved or deleted.`);
  if (document.body.classList.contains("view-reader")) show("list");
}

// The tree marks the folder chosen at once, before its list arrives.
function markFolder() {
  for (const b of document.querySelectorAll("#tree button.folder")) {
    const on = b.classList.contains("all")
      ? state.account === null && state.query === null
      : b.dataset.account === state.account && b.dataset.folder === state.folder && state.query === null;
    b.classList.toggle("current", on);
    if (on) b.setAttribute("aria-current", "true");
    else b.removeAttribute("aria-current");
  }
}

// Before going elsewhere: a changed compose form is saved as a draft.
async function leaveCompose() {
  if (composing()) await leave().catch(fail);
}

async function choose(account, folder) {
  await leaveCompose();
  state.account = account;
  state.folder = folder;
  state.start = 0;
  state.query = null;
  byId("query").value = "";
  // Another folder: the message of the last one closes, as in every mail client.
  state.current = null;
  clearReader();
  markFolder();
  show("list");
  await refresh().catch(fail);
  const first = rows()[0];
  if (first) first.tabIndex = 0;
}

async function open(id) {
  await leaveCompose();
  const m = await api(paths.message(id)).catch(fail);
  if (!m) return;
  const where = { account: m.Account, folder: m.Folder };
  const drafts = specialFolder(where.account, "\\Drafts");
  if (drafts && drafts.Name === where.folder) {
    state.current = null;
    markCurrent(id);
    await reopenDraft(m, show).catch(fail);
    return;
  }
  const flags = m.Flags || (listed.get(id) || {}).Flags || (m.Read ? ["\\Seen"] : []);
  state.current = { ID: id, ...where, Flags: flags, Subject: m.Subject };
  showMessage(m, flags);
  markCurrent(id);
  show("reader");
  byId("move-to").replaceChildren(...moveOptions(where.account, where.folder));
  if (!flags.includes("\\Seen")) {
    await changeFlags([id], ["\\Seen"], []);
  }
}

async function changeFlags(ids, add, remove) {
  await api("/api/mailroom/messages", { method: "PUT", json: { IDs: ids, Add: add, Remove: remove } }).catch(fail);
  for (const id of ids) {
    const m = listed.get(id);
    const before = (state.current && state.current.ID === id ? state.current.Flags : m && m.Flags) || (m && m.Read ? ["\\Seen"] : []);
    const after = [...new Set([...before.filter((f) => !remove.includes(f)), ...add])];
    updateRow(id, { Flags: after });
    if (state.current && state.current.ID === id) {
      state.current.Flags = after;
      showFlags(after);
    }
  }
  refreshFolders().catch(fail);
}

function setFlagged(id, on) {
  return on ? changeFlags([id], ["\\Flagged"], []) : changeFlags([id], [], ["\\Flagged"]);
}

// After a move or a delete: the next message of the list opens (or none).
async function afterRemoval(id) {
  const items = rows();
  const at = items.findIndex((li) => li.dataset.id === id);
  const next = items[at + 1] || items[at - 1];
  state.current = null;
  await refresh().catch(fail);
  if (next && next.dataset.id !== id && rowOf(next.dataset.id)) await open(next.dataset.id);
  else {
    clearReader();
    show("list");
  }
}

async function moveCurrent(to) {
  const c = state.current;
  if (!c || !to) return;
  await api("/api/mailroom/move", { method: "POST", json: { IDs: [c.ID], To: to } });
  say(`Moved to ${to}.`);
  await afterRemoval(c.ID);
}

// Delete moves to the account's \Trash folder; in Trash it expunges.
async function deleteCurrent() {
  const c = state.current;
  if (!c) return;
  const trash = specialFolder(c.account, "\\Trash");
  if (!trash || c.folder === trash.Name) {
    await api("/api/mailroom/messages", { method: "DELETE", json: { IDs: [c.ID] } });
    say("Deleted.");
    await afterRemoval(c.ID);
  } else {
    await moveCurrent(trash.Name);
  }
}

function back() {
  const id = state.current && state.current.ID;
  show("list");
  const li = id && rowOf(id);
  if (li) li.focus();
}

// Live: every event refreshes the counts and the page shown (a page is at
// most 50 rows), at most once per 300 ms; the open message stays open.
let pending = 0;
function soon() {
  if (pending) return;
  pending = setTimeout(() => {
    pending = 0;
    refresh().catch(fail);
  }, 300);
}

function setCounts(total, unread) {
  byId("counts").textContent = `${total} ${total === 1 ? "message" : "messages"}, ${unread} unread`;
}

function live() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const ws = new WebSocket(`${scheme}://${location.host}/api/events`);
  const stateEl = byId("live");
  ws.onopen = () => {
    stateEl.className = "online";
    stateEl.textContent = "live";
    stateEl.title = "live updates: on";
  };
  ws.onclose = () => {
    stateEl.className = "offline";
    stateEl.textContent = "offline";
    stateEl.title = "live updates: off, the server cannot be reached; trying again every 2 s";
    setTimeout(() => {
      refresh().catch(() => {});
      live();
    }, 2000);
  };
  ws.onmessage = (e) => {
    const event = JSON.parse(e.data);
    if (event.Type === "stats") setCounts(event.Data.Total, event.Data.Unread);
    else if (event.Type === "update" && listed.has(event.Data.ID) && !Array.isArray(listed.get(event.Data.ID).Flags))
      updateRow(event.Data.ID, { Read: event.Data.Read });
    // mailroom.folder, mailroom's own: a folder of any account (the events are
    // already the user's own) changed; the tree shows every one's counts.
    if (["new", "delete", "update", "mailroom.folder"].includes(event.Type)) soon();
  };
}

// Who is logged in: /api/mailroom/me (404 before logins exist: test mode).
async function whoAmI() {
  try {
    const me = await api("/api/mailroom/me");
    if (me.User) {
      byId("user").textContent = me.User;
      byId("user").hidden = false;
      byId("logout").hidden = false;
    }
  } catch (e) {
    if (!(e instanceof ApiError && e.status === 404)) throw e;
  }
}

function composeFrom() {
  if (state.current) return state.current.account;
  if (state.account) return state.account;
  return state.accounts.length ? state.accounts[0].Address : "";
}

function answerCurrent(mode) {
  if (state.current) answer(state.current.ID, mode, show).catch(fail);
}

function step(by) {
  const items = rows();
  if (!items.length) return;
  const focused = items.indexOf(document.activeElement);
  const currentAt = state.current ? items.findIndex((li) => li.dataset.id === state.current.ID) : -1;
  const reading = document.body.classList.contains("view-reader") && state.current;
  const at = reading && currentAt >= 0 ? currentAt : focused >= 0 ? focused : currentAt;
  const next = items[Math.max(0, Math.min(items.length - 1, at < 0 ? 0 : at + by))];
  if (reading) {
    open(next.dataset.id);
  } else {
    markCurrent(next.dataset.id);
    next.focus();
  }
}

function toggleRead() {
  const c = state.current;
  if (!c) return;
  const read = c.Flags.includes("\\Seen");
  changeFlags([c.ID], read ? [] : ["\\Seen"], read ? ["\\Seen"] : []);
  say(read ? "Marked unread." : "Marked read.");
}

// Moves the keyboard between the folder buttons of the tree (ArrowUp/Down).
function stepFolder(from, by) {
  const all = [...document.querySelectorAll("#tree button.folder")];
  const at = all.indexOf(from);
  const next = all[Math.max(0, Math.min(all.length - 1, at + by))];
  if (next) next.focus();
}

// Moves between the reader's tabs (ArrowLeft/Right), as a tablist does.
function stepTab(from, by) {
  const tabs = [...document.querySelectorAll("#message [role=tab]")].filter((t) => !t.hidden);
  const next = tabs[(tabs.indexOf(from) + by + tabs.length) % tabs.length];
  showView(next.dataset.view);
  next.focus();
}

// Escape closes what is open: the help (the dialog itself), the message being
// written (kept in Drafts when changed), the folders over the list, the message.
function escape() {
  if (composing()) byId("c-close").click();
  else if (document.body.classList.contains("view-folders")) show("list");
  else back();
}

// Every shortcut, once: the key handler and the "?" list both read this table.
// `when`: "message" needs an open message.
const SHORTCUTS = [
  { keys: ["j", "k"], what: "next / previous message", run: (k) => step(k === "j" ? 1 : -1) },
  { keys: ["ArrowDown", "ArrowUp"], show: "↓ / ↑", what: "next / previous message in the list",
    run: (k) => step(k === "ArrowDown" ? 1 : -1), inList: true },
  { keys: ["o", "Enter"], what: "open the message", run: (k, row) => {
    if (row) open(row.dataset.id);
    else if (k === "o" && rows()[0]) open(rows()[0].dataset.id);
  } },
  { keys: ["u"], what: "back to the list", run: back },
  { keys: ["Escape"], what: "close: the message, the folders, compose (kept in Drafts)", run: escape },
  { keys: ["r"], what: "reply", run: () => answerCurrent("reply"), when: "message" },
  { keys: ["a"], what: "reply to all", run: () => answerCurrent("reply_all"), when: "message" },
  { keys: ["f"], what: "forward", run: () => answerCurrent("forward"), when: "message" },
  { keys: ["c"], what: "compose a new message", run: () => compose(composeFrom(), show) },
  { keys: ["s"], what: "flag or unflag", run: (k, row) => {
    const id = state.current ? state.current.ID : row && row.dataset.id;
    if (!id) return;
    const m = state.current && state.current.ID === id ? state.current : listed.get(id);
    setFlagged(id, !(m && m.Flags && m.Flags.includes("\\Flagged")));
  } },
  { keys: ["U"], show: "Shift+U", what: "mark read / unread", run: toggleRead, when: "message" },
  { keys: ["m"], what: "move to a folder (the menu opens)", run: () => {
    const menu = byId("move-to");
    menu.focus();
    if (menu.showPicker) {
      try {
        menu.showPicker();
      } catch {
        // not allowed here (headless): the focused menu takes the arrows
      }
    }
  }, when: "message" },
  { keys: ["#", "Delete"], what: "delete (to Trash; in Trash for good)", run: () => deleteCurrent().catch(fail), when: "message" },
  { keys: ["/"], what: "search", run: () => byId("query").focus() },
  { keys: ["?"], what: "this list", run: () => openHelp() },
];

function keys(e) {
  if (e.ctrlKey || e.metaKey || e.altKey) return;
  const t = e.target;
  if (e.key === "Escape" && composing() && t.closest && t.closest("#compose")) {
    e.preventDefault();
    escape();
    return;
  }
  if (t.closest && t.closest("#tree") && (e.key === "ArrowDown" || e.key === "ArrowUp")) {
    e.preventDefault();
    stepFolder(t.closest("button"), e.key === "ArrowDown" ? 1 : -1);
    return;
  }
  if (t.getAttribute && t.getAttribute("role") === "tab" && (e.key === "ArrowRight" || e.key === "ArrowLeft")) {
    e.preventDefault();
    stepTab(t, e.key === "ArrowRight" ? 1 : -1);
    return;
  }
  if (t.closest && t.closest("input, textarea, select, [contenteditable], dialog")) {
    if (e.key === "Escape" && t.id === "query") t.blur();
    return;
  }
  if (composing()) return;
  const row = t.closest && t.closest("#messages li");
  const shortcut = SHORTCUTS.find((s) => s.keys.includes(e.key));
  if (!shortcut || (shortcut.inList && !row) || (shortcut.when === "message" && !state.current)) return;
  // Enter on a button or a link is that control's own.
  if (e.key === "Enter" && !row) return;
  e.preventDefault();
  shortcut.run(e.key, row);
}

function helpList() {
  byId("shortcuts").replaceChildren(...SHORTCUTS.flatMap((s) => [
    el("dt", {}, ...(s.show ? [s.show] : s.keys).flatMap((k, i) => [i ? " or " : null, el("kbd", { text: k })])),
    el("dd", { text: s.what }),
  ]));
}

// The help gives the keyboard back where it was when it closes.
let beforeHelp = null;
function openHelp() {
  beforeHelp = document.activeElement;
  helpList();
  byId("help").showModal();
}

function wire() {
  byId("back").addEventListener("click", back);
  byId("show-folders").addEventListener("click", () => show("folders"));
  byId("help-button").addEventListener("click", openHelp);
  byId("prev").addEventListener("click", () => {
    state.start = Math.max(0, state.start - PAGE);
    refreshList().catch(fail);
  });
  byId("next").addEventListener("click", () => {
    state.start += PAGE;
    refreshList().catch(fail);
  });
  byId("threaded").addEventListener("change", (e) => {
    state.threaded = e.target.checked;
    state.start = 0;
    refreshList().catch(fail);
  });
  byId("sort").addEventListener("change", (e) => {
    state.sort = e.target.value;
    state.start = 0;
    refreshList().catch(fail);
  });
  byId("order").addEventListener("click", (e) => {
    state.order = state.order === "desc" ? "asc" : "desc";
    e.target.textContent = state.order === "desc" ? "↓" : "↑";
    e.target.setAttribute("aria-label", state.order === "desc" ? "Order: newest first" : "Order: oldest first");
    state.start = 0;
    refreshList().catch(fail);
  });
  byId("search").addEventListener("submit", (e) => {
    e.preventDefault();
    const query = byId("query").value.trim();
    state.query = query || null;
    state.start = 0;
    show("list");
    refresh().catch(fail);
  });
  byId("toggle-read").addEventListener("click", toggleRead);
  byId("toggle-flag").addEventListener("click", () => {
    const c = state.current;
    if (c) setFlagged(c.ID, !c.Flags.includes("\\Flagged"));
  });
  byId("reply").addEventListener("click", () => answerCurrent("reply"));
  byId("reply-all").addEventListener("click", () => answerCurrent("reply_all"));
  byId("forward").addEventListener("click", () => answerCurrent("forward"));
  byId("remote-show").addEventListener("click", showRemote);
  wireCompose({
    show,
    from: composeFrom,
    // After Send or Close: back at once; then the list as it is now, and the
    // reader closes if the message it showed has gone from there (closeIfGone).
    done: async () => {
      show(beforeCompose === "reader" && state.current ? "reader" : "list");
      await refresh().catch(fail);
    },
  });
  byId("move-to").addEventListener("change", (e) => moveCurrent(e.target.value).catch(fail));
  byId("delete").addEventListener("click", () => deleteCurrent().catch(fail));
  for (const tab of document.querySelectorAll("#message [role=tab]"))
    tab.addEventListener("click", () => showView(tab.dataset.view));
  byId("logout").addEventListener("click", async () => {
    await api("/api/mailroom/logout", { method: "POST" }).catch(fail);
    location.assign("/login");
  });
  document.addEventListener("keydown", keys);
  byId("help").addEventListener("close", () => {
    const li = state.current && rowOf(state.current.ID);
    const back = beforeHelp && beforeHelp.isConnected && beforeHelp !== document.body ? beforeHelp : li;
    if (back) back.focus();
  });
  helpList();
}

wire();
whoAmI().catch(fail);
api("/api/v1/messages?limit=1").then((p) => setCounts(p.total, p.unread)).catch(fail);
refresh().catch(fail).finally(() => {
  const first = rows()[0];
  if (first) first.tabIndex = 0;
  live();
});
