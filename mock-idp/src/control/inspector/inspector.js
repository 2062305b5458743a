// The inspector's script: keeps the server-rendered parts live, and drives the JSON control
// API for every change. Plain browser JavaScript, embedded in the binary: no build step.
//
// Every value the server renders is escaped there; everything this script shows itself goes
// through textContent, never innerHTML, so a claim holding "<script>" stays text.
"use strict";

const POLL_MS = 1000;
const lastHtml = new Map();

function $(selector) {
  return document.querySelector(selector);
}

/** An element with text children only (strings become text nodes). */
function el(tag, className, ...children) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  for (const child of children) node.append(child);
  return node;
}

function say(message, isError = false) {
  const status = $("#status");
  status.textContent = message;
  status.classList.toggle("error", isError);
}

/** A call to the control API. X-Mock-Idp marks it as the developer's own, as the guard asks. */
async function control(method, path, body) {
  const headers = { "X-Mock-Idp": "1" };
  const init = { method, headers };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  const text = await response.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (!response.ok) {
    throw new Error(json?.error_description ?? `${method} ${path}: ${response.status}`);
  }
  return json;
}

/** Fetches a part of the page again and swaps it in if it changed. */
async function refresh(target) {
  const part = target.dataset.part;
  let url = `/_mock/?part=${encodeURIComponent(part)}`;
  if (part === "requests") {
    const endpoint = $("#endpoint-filter").value;
    if (endpoint) url += `&endpoint=${encodeURIComponent(endpoint)}`;
  }
  const response = await fetch(url, { cache: "no-cache" });
  if (!response.ok) return;
  const html = await response.text();
  const key = url;
  if (lastHtml.get(target) === key + html) return;
  lastHtml.set(target, key + html);
  // Server-rendered and escaped there (see render.rs); the page's CSP forbids inline script.
  target.innerHTML = html;
}

async function refreshAll() {
  const parts = document.querySelectorAll("[data-part]");
  await Promise.all([...parts].map((part) => refresh(part).catch(() => {})));
}

async function poll() {
  if (!document.hidden) await refreshAll();
  setTimeout(poll, POLL_MS);
}

/** Runs a state change, says how it went, and refreshes at once. */
async function act(what, change) {
  try {
    const message = await change();
    say(message ?? `${what}: done.`);
  } catch (error) {
    say(`${what} failed: ${error.message}`, true);
  }
  await refreshAll();
}

/** Unix seconds from "1893456000" or a date "2030-01-01T00:00:00Z". */
function parseInstant(text) {
  const trimmed = text.trim();
  if (/^-?\d+$/.test(trimmed)) return Number(trimmed);
  const ms = Date.parse(trimmed);
  return Number.isNaN(ms) ? null : Math.floor(ms / 1000);
}

const actions = {
  rotate: () =>
    act("Rotate keys", async () => {
      const answer = await control("POST", "/_mock/keys/rotate", {});
      return `Rotated: ${answer.kid} signs now; the old keys stay published until retired.`;
    }),
  retire: () =>
    act("Retire keys", async () => {
      const answer = await control("POST", "/_mock/keys/retire", {});
      return `Retired ${answer.retired} key(s): only the active key is published now.`;
    }),
  advance: (button) => advance(Number(button.dataset.secs)),
  "advance-by": () => advance(Number($("#advance-secs").value)),
  "set-clock": () =>
    act("Set the clock", async () => {
      const at = parseInstant($("#clock-set").value);
      if (at === null) throw new Error("give Unix seconds or a date such as 2030-01-01T00:00:00Z");
      const clock = await control("POST", "/_mock/clock", { set: at });
      return `The mock's clock is at ${new Date(clock.now * 1000).toISOString()}.`;
    }),
  "add-fault": () =>
    act("Add a fault", async () => {
      const fault = { endpoint: $("#fault-endpoint").value };
      const status = $("#fault-status").value;
      const times = $("#fault-times").value;
      const delay = $("#fault-delay").value;
      if (status) fault.status = Number(status);
      if (times) fault.times = Number(times);
      if (delay) fault.delay_ms = Number(delay);
      await control("POST", "/_mock/faults", fault);
      return `Fault added on ${fault.endpoint}.`;
    }),
  "clear-faults": () =>
    act("Clear faults", async () => {
      await control("DELETE", "/_mock/faults");
      return "Faults cleared.";
    }),
  "end-session": (button) =>
    act("End the session", async () => {
      await control("DELETE", `/_mock/sessions/${encodeURIComponent(button.dataset.sid)}`);
      return `Session ${button.dataset.sid} ended.`;
    }),
  "explain-token": (button) => {
    const token = button.closest("[data-token]").dataset.token;
    $("#explain-token").value = token;
    $("#explain").scrollIntoView();
    explain();
  },
};

function advance(secs) {
  return act("Advance the clock", async () => {
    if (!Number.isFinite(secs)) throw new Error("give a number of seconds");
    const clock = await control("POST", "/_mock/clock", { advance_secs: secs });
    return `The mock's clock is at ${new Date(clock.now * 1000).toISOString()}.`;
  });
}

const MARKS = { passed: "✓", failed: "✗", not_run: "–" };

function showReport(report) {
  const result = $("#explain-result");
  const verdict = report.verdict === "valid" ? "Valid: an API with these expectations accepts it." : "Invalid: an API with these expectations rejects it.";
  const checks = el("ol", "checks");
  for (const check of report.checks) {
    const item = el(
      "li",
      check.outcome,
      el("span", "mark", MARKS[check.outcome] ?? "?"),
      el("span", "name", check.check),
      el("span", "detail", check.detail),
    );
    item.dataset.check = check.check;
    item.dataset.outcome = check.outcome;
    checks.append(item);
  }
  const parts = [el("p", `verdict ${report.verdict}`, verdict), checks];
  if (report.hints.length > 0) {
    parts.push(el("h3", "", "What to do"));
    parts.push(el("ul", "hints", ...report.hints.map((hint) => el("li", "", hint))));
  }
  const decoded = el(
    "details",
    "",
    el("summary", "", "Decoded, unverified"),
    el(
      "div",
      "cols",
      el("div", "", el("h4", "", "header"), el("pre", "", JSON.stringify(report.header, null, 2))),
      el("div", "", el("h4", "", "claims"), el("pre", "", JSON.stringify(report.claims, null, 2))),
    ),
  );
  parts.push(decoded);
  result.replaceChildren(...parts);
}

async function explain() {
  const body = { token: $("#explain-token").value.trim() };
  const audience = $("#explain-audience").value.trim();
  const issuer = $("#explain-issuer").value.trim();
  const scopes = $("#explain-scopes").value.trim();
  if (audience) body.audience = audience;
  if (issuer) body.issuer = issuer;
  if (scopes) body.scopes = scopes.split(/[\s,]+/).filter(Boolean);
  try {
    showReport(await control("POST", "/_mock/explain", body));
    say("");
  } catch (error) {
    $("#explain-result").replaceChildren(el("p", "verdict invalid", error.message));
  }
}

document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-action]");
  if (!button) return;
  const action = actions[button.dataset.action];
  if (action) action(button);
});

document.addEventListener("DOMContentLoaded", () => {
  $("#explain-form").addEventListener("submit", (event) => {
    event.preventDefault();
    explain();
  });
  $("#endpoint-filter").addEventListener("change", () => refresh($("#requests-body")));
  setTimeout(poll, POLL_MS);
});
