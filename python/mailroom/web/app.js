// The mailroom web client, first page: the message list of every INBOX,
// newest first, kept live over the WebSocket /api/events (Mailpit's
// events), and a reader with the header fields and the text. Everything
// shown is set as text, never parsed as HTML. Keys: j/k move, Enter opens,
// Escape goes back.
"use strict";

const api = (path, options) =>
  fetch(path, options).then((r) => (r.ok ? r.json() : Promise.reject(new Error(r.status))));

const list = document.getElementById("messages");
let current = null;

function addressText(a) {
  if (!a) return "";
  return a.Name ? `${a.Name} <${a.Address}>` : a.Address;
}

function when(created) {
  const d = new Date(created);
  const today = new Date().toDateString() === d.toDateString();
  return today ? d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }) : d.toLocaleDateString();
}

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function row(m) {
  const li = el("li", m.Read ? "" : "unread");
  li.dataset.id = m.ID;
  li.tabIndex = 0;
  li.append(el("span", "when", when(m.Created)), el("div", "from", addressText(m.From)),
            el("div", "subject", m.Subject || "(no subject)"), el("div", "snippet", m.Snippet));
  li.addEventListener("click", () => open(m.ID));
  return li;
}

function setCounts(total, unread) {
  const messages = total === 1 ? "message" : "messages";
  document.getElementById("counts").textContent = `${total} ${messages}, ${unread} unread`;
  document.getElementById("empty").hidden = total > 0;
}

async function load() {
  const page = await api("/api/v1/messages?limit=200");
  list.replaceChildren(...page.messages.map(row));
  setCounts(page.total, page.unread);
}

async function open(id) {
  const m = await api(`/api/v1/message/${encodeURIComponent(id)}`);
  current = id;
  for (const li of list.children) li.classList.toggle("current", li.dataset.id === id);
  const li = list.querySelector(`li[data-id="${CSS.escape(id)}"]`);
  if (li) li.classList.remove("unread");
  document.getElementById("subject").textContent = m.Subject || "(no subject)";
  const fields = document.getElementById("fields");
  fields.replaceChildren();
  for (const [name, value] of [["From", addressText(m.From)], ["To", m.To.map(addressText).join(", ")],
                               ["Cc", m.Cc.map(addressText).join(", ")], ["Date", new Date(m.Date).toLocaleString()]]) {
    if (!value) continue;
    fields.append(el("dt", "", name), el("dd", "", value));
  }
  document.getElementById("text").textContent = m.Text || "(no text part)";
  const atts = document.getElementById("attachments");
  atts.replaceChildren(...m.Attachments.map((a) => {
    const item = el("li");
    const link = el("a", "", `${a.FileName || a.PartID} (${a.Size} bytes)`);
    link.href = `/api/v1/message/${encodeURIComponent(id)}/part/${encodeURIComponent(a.PartID)}`;
    link.download = a.FileName || a.PartID;
    item.append(link);
    return item;
  }));
  document.getElementById("reader").hidden = false;
  document.body.classList.add("reading");
}

function back() {
  document.body.classList.remove("reading");
  document.getElementById("reader").hidden = true;
  const li = current && list.querySelector(`li[data-id="${CSS.escape(current)}"]`);
  if (li) li.focus();
}

function live() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const ws = new WebSocket(`${scheme}://${location.host}/api/events`);
  const state = document.getElementById("live");
  ws.onopen = () => { state.className = "online"; state.textContent = "live"; };
  ws.onclose = () => {
    state.className = "offline";
    state.textContent = "offline";
    setTimeout(() => { load().catch(() => {}); live(); }, 2000);
  };
  ws.onmessage = (e) => {
    const event = JSON.parse(e.data);
    const li = event.Data && event.Data.ID && list.querySelector(`li[data-id="${CSS.escape(event.Data.ID)}"]`);
    if (event.Type === "new" && !li) list.prepend(row(event.Data));
    else if (event.Type === "delete" && li) li.remove();
    else if (event.Type === "update" && li) li.classList.toggle("unread", !event.Data.Read);
    else if (event.Type === "stats") setCounts(event.Data.Total, event.Data.Unread);
  };
}

document.getElementById("back").addEventListener("click", back);
document.addEventListener("keydown", (e) => {
  const items = [...list.children];
  const at = items.indexOf(document.activeElement);
  if (e.key === "j" || e.key === "k") {
    const next = items[Math.max(0, Math.min(items.length - 1, at + (e.key === "j" ? 1 : -1)))];
    if (next) next.focus();
  } else if (e.key === "Enter" && at >= 0) {
    open(items[at].dataset.id);
  } else if (e.key === "Escape") {
    back();
  }
});

load().then(live, () => live());
