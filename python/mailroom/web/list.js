// The message list: one page (50) of a folder, of every INBOX, or of a
// search, newest first or sorted by the server, flat or as threads (the
// server threads them: /api/mailroom/threads). Rows show unread, flagged and
// attachment marks; every row is named for screen readers.
"use strict";

import { addressText, api, byId, el, fullDate, when } from "./api.js";
import { specialFolder } from "./folders.js";

export const PAGE = 50;
const q = encodeURIComponent;

// Summaries by ID of what is listed (the reader takes flags from here).
export const listed = new Map();

// The request for a page; what it lists is said in the list's note.
export function pageRequest(s) {
  const page = `start=${s.start}&limit=${PAGE}`;
  if (s.query !== null) return { path: `/api/v1/search?query=${q(s.query)}&${page}`, kind: "search" };
  if (s.account === null) return { path: `/api/v1/messages?${page}`, kind: "inboxes" };
  const where = `account=${q(s.account)}&folder=${q(s.folder)}&${page}`;
  if (s.threaded) return { path: `/api/mailroom/threads?${where}`, kind: "threads" };
  const sort = s.sort ? `&sort=${s.sort}&order=${s.order}` : s.order === "asc" ? "&sort=date&order=asc" : "";
  return { path: `/api/mailroom/messages?${where}${sort}`, kind: "folder" };
}

export function isFlagged(m) {
  return Array.isArray(m.Flags) && m.Flags.includes("\\Flagged");
}

function rowLabel(m, toWhom) {
  const parts = [m.Read ? "" : "unread", isFlagged(m) ? "flagged" : "", m.Attachments ? `${m.Attachments} attachment${m.Attachments > 1 ? "s" : ""}` : ""];
  const marks = parts.filter(Boolean).join(", ");
  const who = toWhom ? `to ${recipients(m)}` : `from ${addressText(m.From)}`;
  return `${marks ? `${marks}: ` : ""}${m.Subject || "(no subject)"}, ${who}, ${fullDate(m.Created)}`;
}

// A person as a list shows them: the name, else the address (both in the tooltip).
function person(a) {
  return (a && (a.Name || a.Address)) || "";
}

function recipients(m) {
  return [...(m.To || []), ...(m.Cc || [])].map(addressText).join(", ");
}

// In Sent and Drafts the list names whom a message is to, as mail clients do.
let toWhom = false;

function row(m, actions, depth) {
  listed.set(m.ID, m);
  const flagged = isFlagged(m);
  const li = el("li", {
    class: [m.Read ? "" : "unread", flagged ? "flagged" : "", depth ? "reply" : ""].filter(Boolean).join(" "),
    tabIndex: -1,
    role: "option",
    "aria-label": rowLabel(m, toWhom),
    "aria-selected": "false",
    dataset: { id: m.ID, depth: depth === undefined ? undefined : String(Math.min(depth, 8)) },
    onclick: (e) => {
      if (e.target.closest("button")) return;
      actions.open(m.ID);
    },
  });
  const flag = Array.isArray(m.Flags)
    ? el("button", {
        type: "button", class: "flag", text: flagged ? "★" : "☆",
        "aria-label": flagged ? "Unflag" : "Flag", "aria-pressed": flagged ? "true" : "false",
        onclick: () => actions.flag(m.ID, !isFlagged(listed.get(m.ID) || m)),
      })
    : null;
  const parts = [
    el("span", { class: "when", text: when(m.Created), title: fullDate(m.Created) }),
    flag,
    toWhom
      ? el("span", { class: "from", text: `To: ${[...(m.To || []), ...(m.Cc || [])].map(person).join(", ") || "(no recipient)"}`,
                     title: recipients(m) })
      : el("span", { class: "from", text: person(m.From) || "(no sender)", title: addressText(m.From) }),
    m.Attachments ? el("span", { class: "clip", title: `${m.Attachments} attachment(s)`, "aria-hidden": "true" }) : null,
    el("div", { class: "subject", text: m.Subject || "(no subject)" }),
    el("div", { class: "snippet", text: m.Snippet || "" }),
  ];
  li.append(...parts.filter(Boolean));
  return li;
}

// Fetches and shows a page; returns {total, unread, count} of what it lists.
// Only the answer to the newest request is shown: a slow answer for the
// folder left behind must not replace the list of the folder chosen since.
let newest = 0;

export async function loadPage(s, actions) {
  const { path, kind } = pageRequest(s);
  const mine = ++newest;
  const page = await api(path);
  if (mine !== newest) return null;
  const list = byId("messages");
  listed.clear();
  const sentOrDrafts = (use) => kind !== "inboxes" && kind !== "search" && (specialFolder(s.account, use) || {}).Name === s.folder;
  toWhom = sentOrDrafts("\\Sent") || sentOrDrafts("\\Drafts");
  if (kind === "threads") {
    list.replaceChildren(...page.threads.flatMap((t) => t.Messages.map((tm) => row(tm.Message, actions, tm.Depth))));
  } else {
    list.replaceChildren(...page.messages.map((m) => row(m, actions)));
  }
  const total = kind === "search" ? page.messages_count : page.total;
  const count = kind === "threads" ? page.threads.length : page.messages.length;
  showEmpty(count > 0 ? null : emptyText(s, kind));
  const noun = kind === "threads" ? "threads" : "messages";
  byId("range").textContent = count ? `${s.start + 1}–${s.start + count} of ${total} ${noun}` : `0 ${noun}`;
  byId("prev").disabled = s.start === 0;
  byId("next").disabled = s.start + count >= total;
  const note = byId("list-note");
  note.hidden = kind !== "search" && kind !== "inboxes";
  if (kind === "search") note.textContent = `Search covers the INBOX of every account (Mailpit's syntax); ${total} found.`;
  if (kind === "inboxes") note.textContent = "The INBOX of every account, newest first.";
  return { total, unread: page.unread, count, kind };
}

function emptyText(s, kind) {
  if (s.start > 0) return "Nothing on this page: the list got shorter. Go back to newer messages.";
  if (kind === "search") return `No message in any INBOX matches “${s.query}”.`;
  if (kind === "inboxes") return "No mail yet. Messages sent to this server over SMTP show up here as they arrive.";
  return `${s.folder} is empty.`;
}

// What the list says when it has no rows: why, and for an error a way to try again.
export function showEmpty(text, { error = false, retry = null } = {}) {
  const box = byId("empty");
  box.hidden = text === null;
  box.classList.toggle("error", error);
  if (text === null) return;
  byId("empty-text").textContent = text;
  box.querySelector("button")?.remove();
  if (retry) box.append(el("button", { type: "button", text: "Try again", onclick: retry }));
}

// The list could not be loaded: its rows go (they were another list's) and it says why.
export function showListError(what, e, retry) {
  listed.clear();
  byId("messages").replaceChildren();
  byId("messages").dataset.shown = "";
  byId("range").textContent = "";
  byId("list-note").hidden = true;
  showEmpty(`Could not show ${what}. ${e.message || e}`, { error: true, retry });
}

export function rows() {
  return [...byId("messages").children];
}

export function rowOf(id) {
  return byId("messages").querySelector(`li[data-id="${CSS.escape(id)}"]`);
}

// Keeps a listed row in step with a change of its flags.
export function updateRow(id, change) {
  const m = listed.get(id);
  const li = rowOf(id);
  if (!m || !li) return;
  Object.assign(m, change);
  if (change.Flags) m.Read = change.Flags.includes("\\Seen");
  li.classList.toggle("unread", !m.Read);
  li.classList.toggle("flagged", isFlagged(m));
  li.setAttribute("aria-label", rowLabel(m, toWhom));
  const flag = li.querySelector(".flag");
  if (flag) {
    flag.textContent = isFlagged(m) ? "★" : "☆";
    flag.setAttribute("aria-label", isFlagged(m) ? "Unflag" : "Flag");
    flag.setAttribute("aria-pressed", isFlagged(m) ? "true" : "false");
  }
}

export function markCurrent(id) {
  for (const li of rows()) {
    const on = li.dataset.id === id;
    li.classList.toggle("current", on);
    li.setAttribute("aria-selected", on ? "true" : "false");
    li.tabIndex = on ? 0 : -1;
  }
}
