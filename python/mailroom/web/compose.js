// Compose, reply, reply-all and forward: the form is filled from the
// server's reply route (the engine builds the quoted text, the recipients,
// In-Reply-To and References), attachments are read from the file input as
// base64, and the message goes out through POST /api/mailroom/compose, which
// delivers, queues, files a copy in Sent and keeps drafts in Drafts.
"use strict";

import { api, byId, el, paths, say, sizeText } from "./api.js";

const q = encodeURIComponent;
let draft = null;  // what the open form answers: {Mode, ReplyTo, DraftID, forward: [...], files: [...]}
let saved = "";    // the form's fields when last opened or saved, to tell a change

// "Ann <a@x>, "Doe, J" <j@x>" -> ["Ann <a@x>", "\"Doe, J\" <j@x>"]: commas
// inside quotes or angle brackets do not split.
export function splitAddresses(text) {
  const out = [];
  let cur = "", quoted = false, angle = 0;
  for (const c of text) {
    if (c === '"') quoted = !quoted;
    else if (!quoted && c === "<") angle++;
    else if (!quoted && c === ">") angle = Math.max(0, angle - 1);
    if ((c === "," || c === ";") && !quoted && !angle) {
      if (cur.trim()) out.push(cur.trim());
      cur = "";
    } else cur += c;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

function fields() {
  return JSON.stringify(["from", "to", "cc", "bcc", "subject", "body"].map((f) => byId(`c-${f}`).value).concat(draft ? draft.files.map((f) => f.FileName) : []));
}

export function composing() {
  return document.body.classList.contains("view-compose");
}

export function changed() {
  return draft !== null && composing() && fields() !== saved;
}

function showFiles() {
  const list = byId("c-files");
  list.replaceChildren(
    ...draft.forward.map((a) => el("li", {},
      el("label", {}, el("input", { type: "checkbox", checked: a.keep, onchange: (e) => (a.keep = e.target.checked),
                                    "aria-label": `Forward ${a.FileName || a.PartID}` }),
         ` ${a.FileName || `part ${a.PartID}`} (${sizeText(a.Size)}, from the original)`))),
    ...draft.files.map((f, i) => el("li", {}, `${f.FileName} (${sizeText(f.size)}) `,
      el("button", { type: "button", text: "Remove", "aria-label": `Remove ${f.FileName}`, onclick: () => {
        draft.files.splice(i, 1);
        showFiles();
      } }))),
  );
}

function readFile(file) {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => {
      const url = String(r.result);
      resolve({ FileName: file.name, ContentType: file.type || "application/octet-stream",
                Content: url.slice(url.indexOf(",") + 1), size: file.size });
    };
    r.onerror = () => reject(r.error);
    r.readAsDataURL(file);
  });
}

function blobBase64(blob) {
  return readFile(blob).then((f) => f.Content);
}

// Opens the form. `start`: {From, To, Cc, Bcc, Subject, Text, Mode, ReplyTo, DraftID, Attachments}
function openForm(start, show) {
  draft = {
    Mode: start.Mode || "new",
    ReplyTo: start.ReplyTo || null,
    ReplyToMessageID: start.ReplyToMessageID || null,
    DraftID: start.DraftID || null,
    forward: (start.Mode === "forward" ? start.Attachments || [] : []).map((a) => ({ ...a, keep: true })),
    files: start.files || [],
  };
  byId("c-from").value = start.From || "";
  byId("c-to").value = (start.To || []).join(", ");
  byId("c-cc").value = (start.Cc || []).join(", ");
  byId("c-bcc").value = (start.Bcc || []).join(", ");
  byId("c-subject").value = start.Subject || "";
  byId("c-body").value = start.Text || "";
  byId("compose-title").textContent = { new: "New message", reply: "Reply", reply_all: "Reply to all", forward: "Forward" }[draft.Mode] || "New message";
  showFiles();
  saved = fields();
  show("compose");
  (byId("c-to").value ? byId("c-body") : byId("c-to")).focus();
  if (draft.Mode !== "new" && !start.DraftID) byId("c-body").setSelectionRange(0, 0);
}

export function compose(from, show) {
  openForm({ From: from }, show);
}

// reply, reply_all or forward of message `id`, prefilled by the server.
export async function answer(id, mode, show) {
  const r = await api(`${paths.message(id)}/reply?mode=${q(mode)}`);
  openForm({ ...r, Mode: mode, ReplyTo: id, ReplyToMessageID: r.MessageID }, show);
}

// A draft reopened: its fields, its attachments read back from the server,
// and what it answers (m.Answers) so that sent it is still a reply or forward.
export async function reopenDraft(m, show) {
  const files = await Promise.all((m.Attachments || []).map(async (a) => {
    const blob = await api(paths.part(m.ID, a.PartID), { as: "response" }).then((r) => r.blob());
    return { FileName: a.FileName || `part-${a.PartID}`, ContentType: a.ContentType, Content: await blobBase64(blob), size: a.Size };
  }));
  const list = (l) => (l || []).map((a) => (a.Name ? `"${a.Name.replace(/"/g, "")}" <${a.Address}>` : a.Address));
  openForm({ From: m.From && m.From.Address, To: list(m.To), Cc: list(m.Cc), Bcc: list(m.Bcc), Subject: m.Subject,
             Text: m.Text, DraftID: m.ID, files, Mode: m.Answers && m.Answers.Mode, ReplyTo: m.Answers && m.Answers.ID }, show);
}

function request(asDraft) {
  const body = {
    From: byId("c-from").value.trim(),
    To: splitAddresses(byId("c-to").value),
    Cc: splitAddresses(byId("c-cc").value),
    Bcc: splitAddresses(byId("c-bcc").value),
    Subject: byId("c-subject").value,
    Text: byId("c-body").value,
    HTML: "",
    Attachments: draft.files.map(({ FileName, ContentType, Content }) => ({ FileName, ContentType, Content })),
    Mode: draft.Mode,
    Draft: asDraft,
  };
  if (draft.ReplyTo) body.ReplyTo = draft.ReplyTo;
  if (draft.ReplyTo && draft.ReplyToMessageID) body.ReplyToMessageID = draft.ReplyToMessageID;
  if (draft.DraftID) body.DraftID = draft.DraftID;
  const keep = draft.forward.filter((a) => a.keep).map((a) => a.PartID);
  if (draft.Mode === "forward" && draft.ReplyTo) body.ForwardParts = keep;
  return body;
}

export async function saveDraft(keepalive = false) {
  const r = await api("/api/mailroom/compose", { method: "POST", json: request(true), keepalive });
  draft.DraftID = r.ID;
  saved = fields();
  say("Draft saved.");
  return r;
}

export async function send() {
  const body = request(false);
  if (!body.To.length && !body.Cc.length && !body.Bcc.length) {
    say("Give at least one recipient.");
    byId("c-to").focus();
    return null;
  }
  const r = await api("/api/mailroom/compose", { method: "POST", json: body });
  const parts = [];
  if (r.Delivered.length) parts.push(`delivered to ${r.Delivered.join(", ")}`);
  if (r.Queued.length) parts.push(`queued for ${r.Queued.join(", ")}`);
  say(`Sent${parts.length ? `: ${parts.join("; ")}` : ""}.${r.Warnings ? ` ${r.Warnings.join(" ")}` : ""}`);
  saved = fields();
  return r;
}

// Leaving the form: a changed form is saved as a draft first.
export async function leave() {
  if (changed()) await saveDraft();
  draft = null;
}

export function wireCompose({ show, done, from }) {
  byId("compose-button").addEventListener("click", () => compose(from(), show));
  byId("c-attach").addEventListener("change", async (e) => {
    const picked = await Promise.all([...e.target.files].map(readFile));
    draft.files.push(...picked);
    e.target.value = "";
    showFiles();
  });
  byId("compose").addEventListener("submit", async (e) => {
    e.preventDefault();
    const button = byId("c-send");
    if (button.disabled) return;  // sending already: one click, one message
    button.disabled = true;
    button.textContent = "Sending…";
    try {
      const r = await send().catch((err) => say(`Not sent: ${err.message}`, { error: true }));
      if (r) {
        draft = null;
        await done();
      }
    } finally {
      button.disabled = false;
      button.textContent = "Send";
    }
  });
  byId("c-save").addEventListener("click", () => saveDraft().catch((err) => say(`Not saved: ${err.message}`, { error: true })));
  byId("c-close").addEventListener("click", async () => {
    try {
      await leave();
    } catch (err) {
      // Not saved: the form stays open, nothing typed is lost.
      say(`Not saved: ${err.message}`, { error: true });
      return;
    }
    await done();
  });
  // Closing the page: a changed form is kept as a draft (the request outlives the page).
  window.addEventListener("pagehide", () => {
    if (changed()) saveDraft(true).catch(() => {});
  });
}
