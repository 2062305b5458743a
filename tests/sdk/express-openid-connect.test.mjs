// express-openid-connect 3.x, unchanged, against the mock binary: the Express quickstart's
// default configuration (response_type=id_token, response_mode=form_post, no client secret),
// then the code flow with a secret (access token, refresh, userinfo), and logout both ways
// (Auth0's /v2/logout, and end_session with id_token_hint), each ending the mock's session.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import express from "express";
import { auth } from "express-openid-connect";
import { startMock } from "./harness/mock.mjs";
import { Browser } from "./harness/browser.mjs";

const API = "https://sample-api";
const CLIENT_ID = "express-app";
const CLIENT_SECRET = "express-app-secret";

// A regular web app for localhost; the default tenant lets any localhost port be a callback
// and a logout URL, as the app listens on port 0.
const tenant = `
[[clients]]
client_id = "${CLIENT_ID}"
app_type = "regular_web"
client_secret = "${CLIENT_SECRET}"
callbacks = ["http://localhost:3000/callback"]
`;

let idp;
before(async () => {
  idp = await startMock({ config: tenant });
});
after(() => idp?.stop());

/**
 * An Express app with `auth(config(baseURL))` on a free port, and routes that show what the
 * SDK knows. Resolves to `{ base, close }`.
 */
async function startApp(config) {
  const app = express();
  const server = await new Promise((resolve) => {
    const s = app.listen(0, "127.0.0.1", () => resolve(s));
  });
  const base = `http://localhost:${server.address().port}`;
  app.use(auth(config(base)));
  app.get("/", (req, res) => {
    res.json({ authenticated: req.oidc.isAuthenticated(), user: req.oidc.user ?? null });
  });
  app.get("/token", (req, res) => {
    const token = req.oidc.accessToken;
    res.json(token ? { access_token: token.access_token, expired: token.isExpired() } : null);
  });
  app.get("/refresh", async (req, res, next) => {
    try {
      const token = await req.oidc.accessToken.refresh();
      res.json({ access_token: token.access_token });
    } catch (e) {
      next(e);
    }
  });
  app.get("/userinfo", async (req, res, next) => {
    try {
      res.json(await req.oidc.fetchUserInfo());
    } catch (e) {
      next(e);
    }
  });
  app.use((err, req, res, _next) => {
    res.status(err.status ?? 500).json({ error: err.error ?? err.name, message: err.message });
  });
  return { base, close: () => new Promise((resolve) => server.close(resolve)) };
}

/** The quickstart's configuration: no secret, so express-openid-connect asks for an ID token. */
const quickstart = (extra = {}) => (baseURL) => ({
  authRequired: false,
  auth0Logout: true,
  baseURL,
  clientID: CLIENT_ID,
  issuerBaseURL: idp.origin,
  secret: "a long, randomly-generated string stored in env",
  ...extra,
});

/** The code flow with a client secret, an API audience and a refresh token. */
const codeFlow = (extra = {}) =>
  quickstart({
    clientSecret: CLIENT_SECRET,
    authorizationParams: {
      response_type: "code",
      audience: API,
      scope: "openid profile email offline_access",
    },
    ...extra,
  });

const json = (page) => JSON.parse(page.body);
const claims = (jwt) => JSON.parse(Buffer.from(jwt.split(".")[1], "base64url").toString());
const sessions = async () => (await idp.control.get("sessions")).sessions;

test("the quickstart's default configuration logs in with an ID token posted back by form_post", async (t) => {
  // Arrange
  await idp.control.post("reset");
  const app = await startApp(quickstart());
  t.after(app.close);
  const browser = new Browser();

  // Act
  const page = await browser.login(`${app.base}/login`);

  // Assert
  assert.equal(page.status, 200, page.body);
  assert.equal(page.url, `${app.base}/`);
  const { authenticated, user } = json(page);
  assert.equal(authenticated, true);
  assert.equal(user.sub, "auth0|alice");
  assert.equal(user.email, "alice@example.com");
  const authorize = browser.history.find((h) => h.includes("/authorize?"));
  const params = new URL(authorize.replace(/^GET /, "")).searchParams;
  assert.equal(params.get("response_type"), "id_token");
  assert.equal(params.get("response_mode"), "form_post");
  assert.ok(
    browser.history.includes(`POST ${app.base}/callback`),
    `the form_post page was posted to the app: ${browser.history.join("\n")}`,
  );
  assert.equal(json(await browser.navigate(`${app.base}/token`)), null, "no access token in this flow");
  assert.equal((await sessions()).length, 1);
});

test("the quickstart's logout goes through /v2/logout and ends the mock's session", async (t) => {
  // Arrange
  await idp.control.post("reset");
  const app = await startApp(quickstart());
  t.after(app.close);
  const browser = new Browser();
  await browser.login(`${app.base}/login`);
  assert.equal((await sessions()).length, 1);

  // Act
  const page = await browser.navigate(`${app.base}/logout`);

  // Assert
  assert.ok(
    browser.history.some((h) => h.startsWith(`GET ${idp.origin}/v2/logout?`)),
    browser.history.join("\n"),
  );
  assert.equal(page.url, `${app.base}/`);
  assert.equal(json(page).authenticated, false);
  assert.deepEqual(await sessions(), []);
});

test("the code flow with a secret gets an access token for the API, refreshes it and fetches the profile", async (t) => {
  // Arrange
  await idp.control.post("reset");
  const app = await startApp(codeFlow());
  t.after(app.close);
  const browser = new Browser();
  await browser.login(`${app.base}/login`);

  // Act
  const first = json(await browser.navigate(`${app.base}/token`));
  const refreshed = json(await browser.navigate(`${app.base}/refresh`));
  const profile = json(await browser.navigate(`${app.base}/userinfo`));

  // Assert
  assert.equal(first.expired, false);
  assert.deepEqual(claims(first.access_token).aud, [API, `${idp.issuer}userinfo`]);
  assert.ok(refreshed.access_token, JSON.stringify(refreshed));
  assert.notEqual(refreshed.access_token, first.access_token);
  assert.equal(claims(refreshed.access_token).sub, "auth0|alice");
  assert.equal(profile.sub, "auth0|alice");
  assert.equal(profile.email, "alice@example.com");
  const { requests } = await idp.control.get("requests");
  const grants = requests.filter((r) => r.endpoint === "token").map((r) => [r.grant_type, r.status]);
  assert.deepEqual(grants, [
    ["authorization_code", 200],
    ["refresh_token", 200],
  ]);
});

test("without an audience the app gets Auth0's opaque access token, which still fetches the profile", async (t) => {
  // Arrange
  await idp.control.post("reset");
  const app = await startApp(
    codeFlow({ authorizationParams: { response_type: "code", scope: "openid profile email" } }),
  );
  t.after(app.close);
  const browser = new Browser();
  await browser.login(`${app.base}/login`);

  // Act
  const token = json(await browser.navigate(`${app.base}/token`));
  const profile = json(await browser.navigate(`${app.base}/userinfo`));

  // Assert
  assert.equal(token.access_token.includes("."), false, `not a JWT: ${token.access_token}`);
  assert.equal(profile.email, "alice@example.com");
});

test("the code flow's logout through /v2/logout ends the mock's session", async (t) => {
  // Arrange
  await idp.control.post("reset");
  const app = await startApp(codeFlow());
  t.after(app.close);
  const browser = new Browser();
  await browser.login(`${app.base}/login`);

  // Act
  const page = await browser.navigate(`${app.base}/logout`);

  // Assert
  assert.ok(browser.history.some((h) => h.startsWith(`GET ${idp.origin}/v2/logout?`)));
  assert.equal(json(page).authenticated, false);
  assert.deepEqual(await sessions(), []);
});

test("idpLogout without auth0Logout ends the session at end_session_endpoint with id_token_hint", async (t) => {
  // Arrange
  await idp.control.post("reset");
  const app = await startApp(codeFlow({ idpLogout: true, auth0Logout: false }));
  t.after(app.close);
  const browser = new Browser();
  await browser.login(`${app.base}/login`);
  assert.equal((await sessions()).length, 1);

  // Act
  const page = await browser.navigate(`${app.base}/logout`);

  // Assert
  const logout = browser.history.find((h) => h.startsWith(`GET ${idp.origin}/oidc/logout?`));
  assert.ok(logout, browser.history.join("\n"));
  const params = new URL(logout.replace(/^GET /, "")).searchParams;
  assert.equal(claims(params.get("id_token_hint")).aud, CLIENT_ID);
  assert.equal(params.get("post_logout_redirect_uri"), app.base);
  assert.equal(page.url, `${app.base}/`);
  assert.equal(json(page).authenticated, false);
  assert.deepEqual(await sessions(), []);
});

test("a client not allowed the implicit grant is refused, and the app says why", async (t) => {
  // Arrange: a tenant where the app is registered for the code flow only.
  const stricter = await startMock({
    config: `
[[clients]]
client_id = "code-only"
app_type = "regular_web"
client_secret = "s"
callbacks = ["http://localhost:3000/callback"]
grant_types = ["authorization_code", "refresh_token"]
`,
  });
  t.after(() => stricter.stop());
  const app = await startApp((baseURL) => ({
    ...quickstart({ clientID: "code-only" })(baseURL),
    issuerBaseURL: stricter.origin,
  }));
  t.after(app.close);
  const browser = new Browser();

  // Act
  const page = await browser.login(`${app.base}/login`);

  // Assert: the error travels back by form_post, before any login, and the SDK answers 400.
  assert.ok(browser.history.includes(`POST ${app.base}/callback`), browser.history.join("\n"));
  assert.equal(page.status, 400, page.body);
  assert.equal(json(page).error, "unauthorized_client");
  assert.deepEqual((await stricter.control.get("sessions")).sessions, []);
});
