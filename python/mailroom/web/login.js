// The login page: POST /api/mailroom/login {"User","Password"}; the server
// sets the session cookies, then the browser goes where it was headed
// (?next=, a path of this server only).
"use strict";

function nextPath() {
  const next = new URLSearchParams(location.search).get("next") || "/";
  // Only a path of this server: "/x", never "//host" or "/\host".
  return /^\/(?![/\\])/.test(next) ? next : "/";
}

function showError(text) {
  const error = document.getElementById("error");
  error.textContent = text;
  error.hidden = false;
}

async function logIn(event) {
  event.preventDefault();
  const form = event.target;
  const button = document.getElementById("submit");
  const user = document.getElementById("user").value.trim();
  const password = document.getElementById("password").value;
  if (!user || !password) {
    showError("Give your address and your password.");
    return;
  }
  button.disabled = true;
  document.getElementById("error").hidden = true;
  try {
    const r = await fetch(form.action, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ User: user, Password: password }),
      credentials: "same-origin",
    });
    if (r.ok) {
      location.assign(nextPath());
      return;
    }
    let text = `The server answered ${r.status}.`;
    try {
      text = (await r.json()).Error || text;
    } catch (e) {
      // not JSON: keep the status
    }
    showError(r.status === 401 ? "Wrong address or password." : text);
    document.getElementById("password").select();
  } catch (e) {
    showError("The server cannot be reached.");
  } finally {
    button.disabled = false;
  }
}

document.getElementById("login").addEventListener("submit", logIn);

// Already logged in (or a server without accounts): nothing to do here.
fetch("/api/mailroom/me", { credentials: "same-origin" })
  .then((r) => (r.ok ? r.json() : null))
  .then((me) => {
    if (me && (me.User || me.TestMode)) location.replace(nextPath());
  })
  .catch(() => {});
