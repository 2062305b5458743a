// The device authorization flow (RFC 8628) through openid-client v6's own device API,
// unchanged, against the mock binary over HTTPS: `initiateDeviceAuthorization`, then
// `pollDeviceAuthorizationGrant`, which waits `interval` seconds between polls with
// `setTimeout`. The tests fake `setTimeout` and move the mock's clock by the same amount
// through the control API, so no test waits for real time: the SDK and the mock agree on what
// "5 seconds later" means.
//
// While `setTimeout` is faked, HTTP goes through `node:https` (openid-client's documented
// `customFetch` hook), not the global fetch: undici keeps its own timeouts in the global
// timers, and faking those would stall or time out its requests.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import https from "node:https";
import * as client from "openid-client";
import { startMock } from "./harness/mock.mjs";

const API = "https://sample-api";
const CLI = "sample-cli";

let idp;
let config;
before(async () => {
  idp = await startMock({
    tls: true,
    config: `
[[apis]]
identifier = "${API}"
permissions = ["read:messages"]

[[clients]]
client_id = "${CLI}"
name = "Sample CLI"
app_type = "native"

[[clients]]
client_id = "sample-web"
app_type = "regular_web"
client_secret = "sample-web-secret"
`,
  });
  // A native application is public: no client authentication, as Auth0's CLI samples do.
  config = await client.discovery(new URL(idp.issuer), CLI, undefined, client.None());
  config[client.customFetch] = nodeFetch;
});
after(async () => {
  await idp?.stop();
});

/** A `fetch` over `node:http(s)`, whose sockets use Node's internal timers, not `setTimeout`. */
function nodeFetch(url, options = {}) {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const transport = target.protocol === "https:" ? https : http;
    const headers = Object.fromEntries(new Headers(options.headers).entries());
    const request = transport.request(target, { method: options.method ?? "GET", headers, agent: false }, (res) => {
      const chunks = [];
      res.on("data", (chunk) => chunks.push(chunk));
      res.on("error", reject);
      res.on("end", () => {
        const body = res.statusCode === 204 ? null : Buffer.concat(chunks);
        resolve(new Response(body, { status: res.statusCode, headers: res.headers }));
      });
    });
    request.on("error", reject);
    if (options.body !== undefined && options.body !== null) request.write(String(options.body));
    request.end();
  });
}

/** The control API over `nodeFetch`, for use while timers are mocked. */
async function control(method, route, body) {
  const res = await nodeFetch(`${idp.issuer}_mock/${route}`, {
    method,
    headers: { "x-mock-idp": "1", "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  assert.ok(res.ok, `${method} /_mock/${route} → ${res.status}: ${text}`);
  return text ? JSON.parse(text) : null;
}

/** What the CLI asks for: the sample API with a refresh token. */
const start = () =>
  client.initiateDeviceAuthorization(config, {
    scope: "openid profile email offline_access read:messages",
    audience: API,
  });

/** The token requests the mock has journaled so far, oldest first. */
async function polls() {
  const { requests } = await control("GET", "requests");
  return requests.filter((r) => r.endpoint === "token");
}

const statusesOf = async () => (await polls()).map((p) => `${p.status} ${p.error ?? ""}`.trim());

/**
 * Fake `setTimeout` for this test: timers fire only when `tick` moves fake time past them, and
 * `waiting` counts those not yet fired, so a driver moves time only while the SDK waits on one
 * (time moved while its request is in flight would be lost). Hand-made rather than node:test's
 * mock timers because those cannot be counted.
 */
function fakeTimers(t) {
  const real = { setTimeout: globalThis.setTimeout, clearTimeout: globalThis.clearTimeout };
  const timers = new Map();
  let now = 0;
  let next = 0;
  globalThis.setTimeout = (callback, ms = 0, ...args) => {
    next += 1;
    const handle = { id: next, unref: () => handle, ref: () => handle, hasRef: () => true };
    timers.set(handle.id, { at: now + ms, fire: () => callback(...args) });
    return handle;
  };
  globalThis.clearTimeout = (handle) => {
    if (handle && timers.delete(handle.id)) return;
    real.clearTimeout(handle);
  };
  t.after(() => Object.assign(globalThis, real));
  return {
    waiting: () => timers.size,
    tick(ms) {
      now += ms;
      const due = [...timers].filter(([, timer]) => timer.at <= now).sort(([, a], [, b]) => a.at - b.at);
      for (const [id, timer] of due) {
        timers.delete(id);
        timer.fire();
      }
    },
  };
}

/**
 * Runs `poll` (a started `pollDeviceAuthorizationGrant`) to its end: whenever the SDK waits on
 * a timer, moves the mocked timers one second, and with `clock(second)` true the mock's clock
 * too. Without it the mock sees the SDK poll as fast as the timers move (how `slow_down` is
 * provoked). Returns the fake second of each token request.
 */
async function drive(t, timers, poll, { clock = async () => true } = {}) {
  let settled = false;
  poll.then(
    () => (settled = true),
    () => (settled = true),
  );
  const seenAt = [];
  for (let second = 1; ; second += 1) {
    // A condition, not a sleep: yield to the I/O of the SDK's request until it waits again.
    for (let turns = 0; !settled && timers.waiting() === 0; turns += 1) {
      assert.ok(turns < 1_000_000, "the SDK neither waits nor finishes");
      await new Promise((resolve) => setImmediate(resolve));
    }
    // The SDK waits (or is done), so the polls the last second's timers set off are answered
    // and journaled.
    const seen = (await polls()).length;
    while (seenAt.length < seen) seenAt.push(second - 1);
    if (settled) return seenAt;
    assert.ok(second < 3_600, "the SDK never finished polling");
    // The mock's clock first, so a poll the timers set off sees this second already.
    if (await clock(second)) await control("POST", "clock", { advance_secs: 1 });
    timers.tick(1_000);
  }
}

test("discovery gives openid-client the device authorization endpoint", () => {
  assert.equal(config.serverMetadata().device_authorization_endpoint, `${idp.issuer}oauth/device/code`);
});

test("pending, then approved from the control API: the SDK's poll gets tokens it validated", async (t) => {
  // Arrange
  await idp.control.post("reset");
  const timers = fakeTimers(t);
  const device = await start();
  assert.match(device.user_code, /^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
  assert.equal(device.verification_uri, `${idp.issuer}activate`);
  assert.equal(device.interval, 5);
  const poll = client.pollDeviceAuthorizationGrant(config, device);

  // Act: nobody approves for the first two polls, then alice does.
  const seenAt = await drive(t, timers, poll, {
    clock: async (second) => {
      if (second === 12) {
        await control("POST", `device/${device.user_code}`, { approve: "alice@example.com" });
      }
      return true;
    },
  });
  const tokens = await poll;

  // Assert
  assert.deepEqual(await statusesOf(), ["403 authorization_pending", "403 authorization_pending", "200"]);
  assert.deepEqual(seenAt, [5, 10, 15], "one poll per interval, as the SDK waits");
  assert.equal(tokens.claims().sub, "auth0|alice");
  assert.equal(tokens.claims().aud, CLI);
  assert.ok(tokens.refresh_token, "offline_access gives a refresh token");
  const access = JSON.parse(Buffer.from(tokens.access_token.split(".")[1], "base64url"));
  assert.deepEqual(access.aud, [API, `${idp.issuer}userinfo`]);
  assert.equal(access.scope, "openid profile email offline_access read:messages");

  // The device flow's refresh token works with the SDK's refresh grant.
  const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
  assert.equal(refreshed.claims().sub, "auth0|alice");
});

test("denied: the SDK stops polling with access_denied", async (t) => {
  await idp.control.post("reset");
  const timers = fakeTimers(t);
  const device = await start();
  await control("POST", `device/${device.user_code}`, { deny: true });
  const poll = client.pollDeviceAuthorizationGrant(config, device);

  await drive(t, timers, poll);

  await assert.rejects(poll, (e) => {
    assert.ok(e instanceof client.ResponseBodyError, e);
    assert.equal(e.error, "access_denied");
    assert.equal(e.status, 403);
    return true;
  });
});

test("expired on the mock clock: the SDK stops polling with expired_token", async (t) => {
  await idp.control.post("reset");
  const timers = fakeTimers(t);
  const device = await start();
  assert.equal(device.expires_in, 900);
  await control("POST", "clock", { advance_secs: 900 });
  const poll = client.pollDeviceAuthorizationGrant(config, device);

  await drive(t, timers, poll);

  await assert.rejects(poll, (e) => {
    assert.ok(e instanceof client.ResponseBodyError, e);
    assert.equal(e.error, "expired_token");
    return true;
  });
});

test("polling too fast gets slow_down, and the SDK adds 5 seconds to its interval", async (t) => {
  // Arrange
  await idp.control.post("reset");
  const timers = fakeTimers(t);
  const device = await start();
  const poll = client.pollDeviceAuthorizationGrant(config, device);

  // Act: for the first 10 fake seconds the mock's clock stands still, so the SDK's second poll
  // comes "0 seconds" after its first; alice approves once it has slowed down.
  const seenAt = await drive(t, timers, poll, {
    clock: async (second) => {
      if (second === 12) {
        await control("POST", `device/${device.user_code}`, { approve: "alice@example.com" });
      }
      return second > 10;
    },
  });
  const tokens = await poll;

  // Assert
  assert.deepEqual(await statusesOf(), ["403 authorization_pending", "429 slow_down", "200"]);
  assert.equal(seenAt[2] - seenAt[1], 10, "the SDK waited 5 + 5 seconds after slow_down");
  assert.equal(tokens.claims().sub, "auth0|alice");
});

test("a client not allowed the grant cannot start the device flow", async () => {
  const web = await client.discovery(new URL(idp.issuer), "sample-web", "sample-web-secret");
  await assert.rejects(client.initiateDeviceAuthorization(web, { scope: "openid" }), (e) => {
    assert.ok(e instanceof client.ResponseBodyError, e);
    assert.equal(e.error, "unauthorized_client");
    return true;
  });
});
