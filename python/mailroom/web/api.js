// What every part of the web client shares: the one function that speaks to
// the server (api), and small helpers that build the page from text (never
// from HTML: whatever a message holds is set as text).
"use strict";

export const UNREACHABLE = "The server cannot be reached: it may have stopped, or the network is down.";

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

function cookie(name) {
  for (const part of document.cookie.split(";")) {
    const [k, ...v] = part.trim().split("=");
    if (k === name) return decodeURIComponent(v.join("="));
  }
  return null;
}

// Every request of the client goes through here. With a login session the
// server wants the mailroom_csrf cookie's value back in X-CSRF-Token on
// every change; a 401 sends the user to the login page and back here after.
// `as`: "json" (default), "text" or "response".
// `keepalive`: the request outlives the page (a draft saved as it closes).
export async function api(path, { method = "GET", json, body, as = "json", headers = {}, keepalive = false } = {}) {
  const h = new Headers(headers);
  if (json !== undefined) {
    h.set("Content-Type", "application/json");
    body = JSON.stringify(json);
  }
  const csrf = cookie("mailroom_csrf");
  if (csrf) h.set("X-CSRF-Token", csrf);
  let r;
  try {
    r = await fetch(path, { method, headers: h, body, credentials: "same-origin", keepalive });
  } catch {
    // fetch() says only "Failed to fetch": no answer came at all.
    throw new ApiError(0, UNREACHABLE);
  }
  if (r.status === 401) {
    const here = location.pathname + location.search + location.hash;
    location.assign(`/login?next=${encodeURIComponent(here)}`);
    throw new ApiError(401, "not logged in");
  }
  if (!r.ok) {
    let why = `${r.status} ${r.statusText}`;
    try {
      why = (await r.json()).Error || why;
    } catch {
      // not JSON: keep the status line
    }
    throw new ApiError(r.status, why);
  }
  if (as === "response") return r;
  if (as === "text") return r.text();
  const type = r.headers.get("Content-Type") || "";
  return type.startsWith("application/json") ? r.json() : r.text();
}

export function el(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = v;
    else if (k === "dataset") {
      for (const [dk, dv] of Object.entries(v)) if (dv !== undefined) e.dataset[dk] = dv;
    }
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (k in e && typeof v !== "string") e[k] = v;
    else e.setAttribute(k, v === true ? "" : v);
  }
  e.append(...children.filter((c) => c !== null && c !== undefined));
  return e;
}

export const byId = (id) => document.getElementById(id);

export function addressText(a) {
  if (!a || !a.Address) return a && a.Name ? a.Name : "";
  return a.Name ? `${a.Name} <${a.Address}>` : a.Address;
}

export function sizeText(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(n < 10240 ? 1 : 0)} kB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

// A list's date: the time today, the day and month this year, else the
// date with its year ("14:05", "23 Nov", "23 Nov 2025" as the locale words it).
// The formats are made once: a toLocale*String call with options builds one
// each time, which a page of 50 rows would pay 150 times.
const formats = {
  time: new Intl.DateTimeFormat([], { hour: "2-digit", minute: "2-digit" }),
  day: new Intl.DateTimeFormat([], { day: "numeric", month: "short" }),
  date: new Intl.DateTimeFormat([], { day: "numeric", month: "short", year: "numeric" }),
  full: new Intl.DateTimeFormat([], { dateStyle: "full", timeStyle: "short" }),
};

export function when(created) {
  const d = new Date(created);
  if (Number.isNaN(d.getTime())) return "";
  const now = new Date();
  if (now.toDateString() === d.toDateString()) return formats.time.format(d);
  return (now.getFullYear() === d.getFullYear() ? formats.day : formats.date).format(d);
}

// The whole date and time, for a header field and a date's tooltip.
export function fullDate(value) {
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? "" : formats.full.format(d);
}

const q = encodeURIComponent;
export const paths = {
  message: (id) => `/api/mailroom/message/${q(id)}`,
  raw: (id) => `/api/mailroom/message/${q(id)}/raw`,  // of any folder, as the next
  part: (id, part) => `/api/mailroom/message/${q(id)}/part/${q(part)}`,
  links: (id) => `/api/mailroom/message/${q(id)}/links`,
  codes: (id) => `/api/mailroom/message/${q(id)}/codes`,
  folders: (account) => `/api/mailroom/folders?account=${q(account)}`,
  html: (id, remote) => `/api/mailroom/message/${q(id)}/html?remote=${remote ? 1 : 0}`,
  structure: (id) => `/api/mailroom/message/${q(id)}/structure`,
  transcript: (id) => `/api/mailroom/message/${q(id)}/transcript`,
};

let toastTimer = 0;
// A short note for the user (an error, "moved to Trash").
// An error stays longer, in red.
export function say(text, { error = false } = {}) {
  const t = byId("toast");
  t.textContent = text;
  t.classList.toggle("error", error);
  t.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => (t.hidden = true), error ? 8000 : 4000);
}
