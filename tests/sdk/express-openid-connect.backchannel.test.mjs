// express-openid-connect 3.x with `backchannelLogout` on, unchanged, against the mock binary:
// when the mock ends a session, the app's session is gone, so the SDK accepted the mock's
// logout_token (it verifies it against the JWKS, `iss`, `aud`, the events claim, no nonce).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import express from "express";
import eoc from "express-openid-connect";
import memorystore from "memorystore";
import { startMock } from "./harness/mock.mjs";
import { Browser } from "./harness/browser.mjs";

const { auth, requiresAuth } = eoc;
// The store the SDK documents for back-channel logout (its `auth.Store` doc names memorystore).
const MemoryStore = memorystore(auth);

/** An express app on a free port; `mount(app, baseURL)` adds what it serves. */
async function listen() {
  const app = express();
  const server = await new Promise((resolve) => {
    const s = app.listen(0, "127.0.0.1", () => resolve(s));
  });
  return { app, server, baseURL: `http://localhost:${server.address().port}` };
}

let idp;
let shop;
let portal;

/** A code-flow app with a client secret, as the SDK's back-channel example configures it. */
function mountApp({ app, baseURL }, clientID, extra = {}) {
  app.use(
    auth({
      issuerBaseURL: idp.issuer,
      baseURL,
      clientID,
      clientSecret: `${clientID}-secret`,
      secret: "a long random value that signs the app's own cookies",
      authRequired: false,
      authorizationParams: { response_type: "code", scope: "openid profile email" },
      session: { store: new MemoryStore() },
      backchannelLogout: true,
      ...extra,
    }),
  );
  app.get("/", (req, res) => res.send(req.oidc.isAuthenticated() ? `hello ${req.oidc.user.sub}` : "anonymous"));
  app.get("/profile", requiresAuth(), (req, res) => res.json(req.oidc.user));
}

function client(id, { baseURL }) {
  return `
[[clients]]
client_id = "${id}"
app_type = "regular_web"
client_secret = "${id}-secret"
callbacks = ["${baseURL}/callback"]
allowed_logout_urls = ["${baseURL}"]
backchannel_logout_urls = ["${baseURL}/backchannel-logout"]
`;
}

before(async () => {
  // The apps listen first: the mock's tenant names their URLs.
  shop = await listen();
  portal = await listen();
  idp = await startMock({ config: client("shop", shop) + client("portal", portal) });
  mountApp(shop, "shop");
  // The portal logs out of the IdP too, through Auth0's /v2/logout.
  mountApp(portal, "portal", { idpLogout: true, auth0Logout: true });
});

after(async () => {
  for (const app of [shop, portal]) app?.server.close();
  await idp?.stop();
});

/** Where a GET of the app's protected page goes: 200 (signed in) or a redirect to log in. */
async function profile(browser, { baseURL }) {
  const res = await browser.fetch(`${baseURL}/profile`);
  return { status: res.status, location: res.headers.get("location") };
}

/** Alice signs in to `app` through the mock's login page; her IdP session's sid. */
async function signIn(browser, app) {
  const page = await browser.login(`${app.baseURL}/login`);
  assert.equal(page.body, "hello auth0|alice", `login ended at ${page.url}`);
  assert.equal((await profile(browser, app)).status, 200);
}

test("ending the IdP session through the control API ends the app's session", async () => {
  // Arrange
  const browser = new Browser();
  await signIn(browser, shop);
  const { sessions } = await idp.control.get("sessions");
  const alice = sessions.find((s) => s.sub === "auth0|alice");
  assert.deepEqual(alice.clients, ["shop"]);

  // Act
  await idp.control.delete(`sessions/${alice.sid}`);
  const { backchannel_logouts: sent } = await idp.control.get("backchannel-logouts?wait=true");

  // Assert: the SDK took the token (204), and the protected page asks for a login again.
  const mine = sent.filter((d) => d.sid === alice.sid);
  assert.equal(mine.length, 1, JSON.stringify(sent));
  assert.equal(mine[0].client_id, "shop");
  assert.equal(mine[0].url, `${shop.baseURL}/backchannel-logout`);
  assert.deepEqual(mine[0].outcome, { result: "accepted", status: 204 });
  const after = await profile(browser, shop);
  assert.equal(after.status, 302);
  assert.ok(after.location.startsWith(`${idp.issuer}authorize?`), after.location);
});

test("logging out of another app through /v2/logout ends this app's session too", async () => {
  // Arrange: one IdP session, two apps.
  const browser = new Browser();
  await signIn(browser, shop);
  await signIn(browser, portal);
  const { sessions } = await idp.control.get("sessions");
  const alice = sessions.find((s) => s.sub === "auth0|alice");
  assert.deepEqual(alice.clients, ["shop", "portal"]);

  // Act: the portal's logout, which ends the IdP session at /v2/logout.
  const out = await browser.navigate(`${portal.baseURL}/logout`);
  const { backchannel_logouts: sent } = await idp.control.get("backchannel-logouts?wait=true");

  // Assert
  assert.ok(browser.history.some((h) => h.startsWith(`GET ${idp.issuer}v2/logout?`)), browser.history.join("\n"));
  assert.equal(out.url.replace(/\/$/, ""), portal.baseURL);
  const mine = sent.filter((d) => d.sid === alice.sid);
  assert.deepEqual(mine.map((d) => [d.client_id, d.outcome.status]).sort(), [
    ["portal", 204],
    ["shop", 204],
  ]);
  assert.equal((await profile(browser, shop)).status, 302, "the shop's session ended");
  assert.equal((await profile(browser, portal)).status, 302, "the portal's session ended");
});
