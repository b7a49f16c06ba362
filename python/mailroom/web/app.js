// The mailroom web client: the folder tree, the message list and the reader,
// kept live over the WebSocket /api/events, with keyboard shortcuts. Every
// request goes through api() (api.js). At 360 px one pane shows at a time:
// body.view-folders, view-list or view-reader.
"use strict";

import { ApiError, api, byId, el, paths, say } from "./api.js";
import { loadFolders, moveOptions, renderTree, specialFolder } from "./folders.js";
import { PAGE, listed, loadPage, markCurrent, rowOf, rows, updateRow } from "./list.js";
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

function show(view) {
  // Leaving a changed compose form keeps it as a draft.
  if (view !== "compose" && composing()) leave().then(() => refresh()).catch(fail);
  document.body.classList.remove("view-folders", "view-list", "view-reader", "view-compose");
  document.body.classList.add(`view-${view}`);
}

function fail(e) {
  if (!(e instanceof ApiError && e.status === 401)) say(e.message || String(e));
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
  const got = await loadPage(state, { open, flag: setFlagged });
  if (!got) return got;
  // Which list the rows are, once they are in (tests wait for it).
  byId("messages").dataset.shown = shown;
  if (state.current) markCurrent(state.current.ID);
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
  state.current = { ID: id, ...where, Flags: flags };
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
  };
  ws.onclose = () => {
    stateEl.className = "offline";
    stateEl.textContent = "offline";
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

const SHORTCUTS = [
  ["j / k", "next / previous message"], ["o or Enter", "open the message"], ["u or Escape", "back to the list"],
  ["s", "flag or unflag"], ["#", "delete (to Trash; in Trash for good)"], ["/", "search"], ["?", "this list"],
];
function composeFrom() {
  if (state.current) return state.current.account;
  if (state.account) return state.account;
  return state.accounts.length ? state.accounts[0].Address : "";
}

function answerCurrent(mode) {
  if (state.current) answer(state.current.ID, mode, show).catch(fail);
}

const extraShortcuts = [
  ["r", "reply", () => answerCurrent("reply")],
  ["a", "reply to all", () => answerCurrent("reply_all")],
  ["f", "forward", () => answerCurrent("forward")],
  ["c", "compose a new message", () => compose(composeFrom(), show)],
];

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

function keys(e) {
  if (e.ctrlKey || e.metaKey || e.altKey) return;
  const t = e.target;
  if (t.closest && t.closest("input, textarea, select, [contenteditable], dialog")) {
    if (e.key === "Escape" && t.id === "query") t.blur();
    return;
  }
  if (composing()) return;
  const focusedRow = t.closest && t.closest("#messages li");
  const subject = state.current ? state.current.ID : focusedRow && focusedRow.dataset.id;
  const extra = extraShortcuts.find(([k]) => k === e.key);
  let handled = true;
  if (e.key === "j") step(1);
  else if (e.key === "k") step(-1);
  else if ((e.key === "o" || e.key === "Enter") && focusedRow) open(focusedRow.dataset.id);
  else if (e.key === "o" && rows()[0]) open(rows()[0].dataset.id);
  else if (e.key === "u" || e.key === "Escape") back();
  else if (e.key === "s" && subject) {
    const m = state.current && state.current.ID === subject ? state.current : listed.get(subject);
    setFlagged(subject, !(m && m.Flags && m.Flags.includes("\\Flagged")));
  } else if (e.key === "#" && state.current) deleteCurrent().catch(fail);
  else if (e.key === "/") byId("query").focus();
  else if (e.key === "?") byId("help").showModal();
  else if (extra) extra[2]();
  else handled = false;
  if (handled) e.preventDefault();
}

function helpList() {
  byId("shortcuts").replaceChildren(...[...SHORTCUTS, ...extraShortcuts].flatMap(([k, what]) => [el("dt", {}, el("kbd", { text: k })), el("dd", { text: what })]));
}

function wire() {
  byId("back").addEventListener("click", back);
  byId("show-folders").addEventListener("click", () => show("folders"));
  byId("help-button").addEventListener("click", () => {
    helpList();
    byId("help").showModal();
  });
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
  byId("toggle-read").addEventListener("click", () => {
    const c = state.current;
    if (!c) return;
    const read = c.Flags.includes("\\Seen");
    changeFlags([c.ID], read ? [] : ["\\Seen"], read ? ["\\Seen"] : []);
  });
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
    done: () => {
      show(state.current ? "reader" : "list");
      refresh().catch(fail);
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
    if (li) li.focus();
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
