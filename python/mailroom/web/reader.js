// The reader: the header fields, the text, the attachments with their sizes
// and download links, the raw source, and the links and one-time codes the
// server found. Everything from the message is set as text.
"use strict";

import { addressText, api, byId, el, fullDate, paths, say, sizeText } from "./api.js";

let shownId = null;
const loaded = new Set();  // views of shownId already fetched

export function showView(view) {
  if (byId(`tab-${view}`).hidden) view = "text";
  for (const tab of document.querySelectorAll("#message [role=tab]")) {
    const on = tab.dataset.view === view;
    tab.setAttribute("aria-selected", on ? "true" : "false");
    byId(`view-${tab.dataset.view}`).hidden = !on;
  }
  if (shownId && !loaded.has(view)) {
    loaded.add(view);
    loadView(shownId, view).catch((e) => {
      byId(`view-${view}`).append(el("p", { class: "error", text: `Could not load: ${e.message}` }));
    });
  }
}

// The HTML body comes sanitized from the server (no script, no remote
// references unless asked for) and is shown in an <iframe sandbox> with no
// allow-scripts and no allow-same-origin, under the route's own CSP. How
// many remote references were taken out is in X-Mailroom-Remote-Blocked;
// "show" reloads with remote=1, for this message only.
async function loadHtml(id, remote) {
  const r = await api(paths.html(id, remote), { as: "response" });
  const blocked = Number(r.headers.get("X-Mailroom-Remote-Blocked") || 0);
  if (shownId !== id) return;
  byId("remote-bar").hidden = remote || blocked === 0;
  byId("remote-note").textContent = `Remote content blocked (${blocked} reference${blocked === 1 ? "" : "s"}). `;
  byId("html").src = paths.html(id, remote);
}

function structureItem(id, p) {
  const what = [p.ContentType, p.Charset && `charset ${p.Charset}`, p.Disposition, p.ContentID && `<${p.ContentID}>`, sizeText(p.Size)];
  const label = `${p.PartID || "message"}: ${what.filter(Boolean).join(", ")}`;
  const head = p.Parts && p.Parts.length || !p.PartID
    ? el("span", { text: label })
    : el("a", { href: paths.part(id, p.PartID), download: p.FileName || `part-${p.PartID}`, text: label });
  return el("li", {}, head, p.FileName ? el("span", { class: "size", text: ` ${p.FileName}` }) : null,
    p.Parts && p.Parts.length ? el("ul", {}, ...p.Parts.map((c) => structureItem(id, c))) : null);
}

async function loadView(id, view) {
  if (view === "html") {
    await loadHtml(id, false);
  } else if (view === "structure") {
    const tree = await api(paths.structure(id));
    if (shownId === id) byId("structure").replaceChildren(structureItem(id, tree));
  } else if (view === "transcript") {
    try {
      const t = await api(paths.transcript(id));
      if (shownId !== id) return;
      byId("transcript-about").textContent = `${String(t.Protocol).toUpperCase()} from ${t.Peer}, ${fullDate(t.Started)}`;
      byId("transcript").textContent = t.Lines.map((l) => `${l.Direction}: ${l.Text}`).join("\n");
    } catch (e) {
      if (e.status !== 404) throw e;
      byId("transcript-about").textContent = `No SMTP transcript: ${e.message}`;
    }
  } else if (view === "raw") {
    const text = await api(paths.raw(id), { as: "text" });
    if (shownId === id) byId("raw").textContent = text;
  } else if (view === "links") {
    const [links, codes] = await Promise.all([api(paths.links(id)), api(paths.codes(id))]);
    if (shownId !== id) return;
    byId("links").replaceChildren(...links.Links.map((l) => el("li", {}, el("a", { href: l, rel: "noreferrer noopener", target: "_blank", text: l }))));
    if (!links.Links.length) byId("links").append(el("li", { class: "none", text: "none" }));
    byId("codes").replaceChildren(...codes.Codes.map((c) => el("li", {}, el("code", { text: c }))));
    if (!codes.Codes.length) byId("codes").append(el("li", { class: "none", text: "none" }));
  }
}

function field(name, value) {
  return value ? [el("dt", { text: name }), el("dd", { text: value })] : [];
}

// Shows message `m` (the JSON of /api/mailroom/message/{ID}).
export function showMessage(m, flags) {
  shownId = m.ID;
  loaded.clear();
  loaded.add("text");
  byId("nothing").hidden = true;
  byId("message").hidden = false;
  byId("subject").textContent = m.Subject || "(no subject)";
  const list = (l) => (l || []).map(addressText).join(", ");
  byId("fields").replaceChildren(
    ...field("From", addressText(m.From)), ...field("To", list(m.To)), ...field("Cc", list(m.Cc)),
    ...field("Bcc", list(m.Bcc)), ...field("Reply-To", list(m.ReplyTo)),
    ...field("Date", m.Date ? fullDate(m.Date) : ""),
  );
  byId("text").textContent = m.Text || (m.HTML ? "(this message has only an HTML part)" : "(no text part)");
  byId("raw").textContent = "";
  byId("structure").replaceChildren();
  byId("transcript").textContent = "";
  byId("transcript-about").textContent = "";
  byId("remote-bar").hidden = true;
  byId("html").removeAttribute("src");
  byId("tab-html").hidden = !m.HTML;
  byId("links").replaceChildren();
  byId("codes").replaceChildren();
  const atts = m.Attachments || [];
  byId("attachments-title").hidden = atts.length === 0;
  byId("attachments").replaceChildren(...atts.map((a) => {
    const name = a.FileName || `part ${a.PartID}`;
    return el("li", {},
      el("a", { href: paths.part(m.ID, a.PartID), download: a.FileName || `part-${a.PartID}`, text: name,
                "aria-label": `Download ${name}, ${sizeText(a.Size)}` }),
      el("span", { class: "size", text: ` ${a.ContentType}, ${sizeText(a.Size)}` }));
  }));
  showFlags(flags);
  showView(m.HTML ? "html" : "text");
}

export function showRemote() {
  if (shownId) loadHtml(shownId, true).catch((e) => say(e.message));
}

export function showFlags(flags) {
  const read = flags.includes("\\Seen");
  const flagged = flags.includes("\\Flagged");
  byId("toggle-read").textContent = read ? "Mark unread" : "Mark read";
  const f = byId("toggle-flag");
  f.textContent = flagged ? "★ Unflag" : "☆ Flag";
  f.setAttribute("aria-pressed", flagged ? "true" : "false");
}

export function clearReader(note = "No message selected.") {
  shownId = null;
  byId("message").hidden = true;
  byId("nothing").textContent = note;
  byId("nothing").hidden = false;
}
