// express-openid-connect 3.x against the mock binary, unchanged, with
// `pushedAuthorizationRequests: true`: the app pushes its authorization request to
// /oauth/par (Basic client secret, or private_key_jwt with `clientAssertionSigningKey`) and
// the user logs in on the mock's real login page.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { generateKeyPairSync } from "node:crypto";
import express from "express";
import { auth } from "express-openid-connect";
import { startMock } from "./harness/mock.mjs";
import { Browser } from "./harness/browser.mjs";

const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
const keyPem = privateKey.export({ type: "pkcs8", format: "pem" });
const publicPem = publicKey.export({ type: "spki", format: "pem" });

/** An express app using `settings`, on a free port; its URL and a stop function. */
async function startApp(settings) {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const baseURL = `http://localhost:${server.address().port}`;
  const app = express();
  app.use(auth({ baseURL, authRequired: false, secret: "a-session-secret-of-at-least-32-chars", ...settings }));
  app.get("/", (req, res) => res.json({ authenticated: req.oidc.isAuthenticated(), user: req.oidc.user ?? null }));
  server.on("request", app);
  return { baseURL, stop: () => new Promise((resolve) => server.close(resolve)) };
}

let idp;
const apps = [];
before(async () => {
  idp = await startMock({
    config: `
[[clients]]
client_id = "par-web"
app_type = "regular_web"
client_secret = "par-web-secret"
require_pushed_authorization_requests = true

[[clients]]
client_id = "keyed-web"
app_type = "regular_web"
credentials = [{ pem = """${publicPem}""", alg = "ES256" }]
require_pushed_authorization_requests = true
`,
  });
});
after(async () => {
  await Promise.all(apps.map((a) => a.stop()));
  await idp?.stop();
});

/** Logs in through the app's /login; returns what the app's home page says afterwards. */
async function logIn(app) {
  const browser = new Browser();
  const page = await browser.login(`${app.baseURL}/login`);
  return { page, history: browser.history };
}

const code = { response_type: "code", scope: "openid profile email" };

test("with a client secret, the app pushes its request and the user logs in", async () => {
  const app = await startApp({
    issuerBaseURL: idp.origin,
    clientID: "par-web",
    clientSecret: "par-web-secret",
    pushedAuthorizationRequests: true,
    authorizationParams: code,
  });
  apps.push(app);

  const { page, history } = await logIn(app);

  assert.equal(page.status, 200, page.body);
  const home = JSON.parse(page.body);
  assert.equal(home.authenticated, true);
  assert.equal(home.user.sub, "auth0|alice");
  const authorize = history.find((h) => h.includes("/authorize?"));
  assert.match(authorize, /request_uri=urn%3Aietf%3Aparams%3Aoauth%3Arequest_uri%3A/);
  const { requests: journal } = await idp.control.get("requests");
  const pushes = journal.filter((r) => r.endpoint === "par" && r.client_id === "par-web");
  assert.deepEqual(pushes.map((r) => r.status), [201]);
});

test("with clientAssertionSigningKey, the app pushes and redeems with private_key_jwt", async () => {
  const app = await startApp({
    issuerBaseURL: idp.origin,
    clientID: "keyed-web",
    clientAssertionSigningKey: keyPem,
    clientAssertionSigningAlg: "ES256",
    pushedAuthorizationRequests: true,
    authorizationParams: code,
  });
  apps.push(app);

  const { page } = await logIn(app);

  assert.equal(page.status, 200, page.body);
  const home = JSON.parse(page.body);
  assert.equal(home.authenticated, true);
  assert.equal(home.user.email, "alice@example.com");
  const { requests: journal } = await idp.control.get("requests");
  const keyed = journal.filter((r) => r.client_id === "keyed-web" && ["par", "token"].includes(r.endpoint));
  assert.deepEqual(keyed.map((r) => [r.endpoint, r.status]), [["par", 201], ["token", 200]]);
});
