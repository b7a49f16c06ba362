// The folder tree: accounts, each with its folders (nested at "/"), their
// special-use roles (RFC 6154) shown by an icon and named for screen
// readers, and their unread and message counts.
"use strict";

import { api, byId, el, paths } from "./api.js";

const ICONS = { "": "▢", "\\Inbox": "✉", "\\Sent": "➤", "\\Drafts": "✎", "\\Trash": "✗", "\\Junk": "⚠", "\\Archive": "▤" };
const ROLES = { "\\Inbox": "inbox", "\\Sent": "sent mail", "\\Drafts": "drafts", "\\Trash": "trash", "\\Junk": "junk", "\\Archive": "archive" };
const ORDER = ["\\Inbox", "\\Drafts", "\\Sent", "\\Archive", "\\Junk", "\\Trash"];

// account -> [{Name, SpecialUse, Messages, Unread}]
export const folders = new Map();

export function roleOf(folder) {
  return folder.Name === "INBOX" ? "\\Inbox" : folder.SpecialUse || "";
}

// The folder of `account` with the special use `use` ("\\Trash"), or null.
export function specialFolder(account, use) {
  const list = folders.get(account) || [];
  return list.find((f) => roleOf(f) === use) || null;
}

export async function loadFolders() {
  const { Accounts } = await api("/api/mailroom/accounts");
  const lists = await Promise.all(Accounts.map((a) => api(paths.folders(a.Address))));
  folders.clear();
  for (const l of lists) folders.set(l.Account, l.Folders);
  return Accounts;
}

function sortFolders(list) {
  const rank = (f) => {
    const i = ORDER.indexOf(roleOf(f));
    return i < 0 ? ORDER.length : i;
  };
  return [...list].sort((a, b) => rank(a) - rank(b) || a.Name.localeCompare(b.Name));
}

// Folders as a tree by their "/" levels; a level with no folder of its own
// (only children) is shown as a plain heading.
function nest(list) {
  const root = { children: new Map() };
  for (const f of sortFolders(list)) {
    let node = root;
    const levels = f.Name.split("/");
    levels.forEach((name, i) => {
      if (!node.children.has(name)) node.children.set(name, { name, folder: null, children: new Map() });
      node = node.children.get(name);
      if (i === levels.length - 1) node.folder = f;
    });
  }
  return root;
}

function folderItem(account, node, current, choose, depth) {
  const f = node.folder;
  const kids = [...node.children.values()];
  const li = el("li", { role: "treeitem", "aria-level": String(depth), "aria-expanded": kids.length ? "true" : undefined });
  if (f) {
    const role = roleOf(f);
    const selected = current.account === account && current.folder === f.Name;
    const label = `${node.name}${ROLES[role] ? ` (${ROLES[role]})` : ""}, ${f.Unread} unread of ${f.Messages}`;
    // a long name is cut with an ellipsis; the tooltip has all of it
    const b = el("button", {
      type: "button",
      class: `folder${selected ? " current" : ""}${f.Unread ? " has-unread" : ""}`,
      "aria-label": label,
      "aria-current": selected ? "true" : undefined,
      title: f.Name,
      dataset: { account, folder: f.Name, role },
      onclick: () => choose(account, f.Name),
    },
    el("span", { class: "icon", "aria-hidden": "true", text: ICONS[role] || ICONS[""] }),
    el("span", { class: "name", text: node.name }),
    el("span", { class: "unread", "aria-hidden": "true", text: f.Unread ? String(f.Unread) : "" }));
    li.append(b);
  } else {
    li.append(el("span", { class: "folder plain", text: node.name }));
  }
  if (kids.length)
    li.append(el("ul", { role: "group" }, ...kids.map((k) => folderItem(account, k, current, choose, depth + 1))));
  return li;
}

export function renderTree(accounts, current, choose) {
  const tree = byId("tree");
  tree.replaceChildren(...accounts.map((a) => {
    const list = folders.get(a.Address) || [];
    const root = nest(list);
    return el("li", { role: "treeitem", "aria-level": "1", "aria-expanded": "true", class: "account" },
      el("span", { class: "account-name", text: a.Address, title: `${a.Messages} messages, ${a.Unread} unread` }),
      el("ul", { role: "group" }, ...[...root.children.values()].map((n) => folderItem(a.Address, n, current, choose, 2))));
  }));
  if (!accounts.length) tree.append(el("li", { class: "none", text: "No accounts yet: send a message over SMTP." }));
}

// The <option>s of the "move to" menu: the other folders of the account.
export function moveOptions(account, except) {
  const list = sortFolders(folders.get(account) || []).filter((f) => f.Name !== except);
  return [el("option", { value: "", text: "Move to…" }), ...list.map((f) => el("option", { value: f.Name, text: f.Name }))];
}
