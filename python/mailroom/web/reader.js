// The reader: the header fields, the text, the attachments with their sizes
// and download links, the raw source, and the links and one-time codes the
// server found. Everything from the message is set as text.
"use strict";

import { addressText, api, byId, el, paths, sizeText } from "./api.js";

let shownId = null;
const loaded = new Set();  // views of shownId already fetched

export function showView(view) {
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

async function loadView(id, view) {
  if (view === "raw") {
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
    ...field("Date", m.Date ? new Date(m.Date).toLocaleString() : ""),
  );
  byId("text").textContent = m.Text || (m.HTML ? "(this message has only an HTML part)" : "(no text part)");
  byId("raw").textContent = "";
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
  showView("text");
}

export function showFlags(flags) {
  const read = flags.includes("\\Seen");
  const flagged = flags.includes("\\Flagged");
  byId("toggle-read").textContent = read ? "Mark unread" : "Mark read";
  const f = byId("toggle-flag");
  f.textContent = flagged ? "★ Unflag" : "☆ Flag";
  f.setAttribute("aria-pressed", flagged ? "true" : "false");
}

export function clearReader() {
  shownId = null;
  byId("message").hidden = true;
  byId("nothing").hidden = false;
}
