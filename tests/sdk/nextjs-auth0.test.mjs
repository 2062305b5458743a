// @auth0/nextjs-auth0 v4, unchanged, against the mock binary: its middleware serves
// /auth/login, /auth/callback, /auth/profile, /auth/access-token and /auth/logout, configured as
// Auth0's Next.js quickstart does (stateless cookie sessions, a client secret) plus the one
// option http://localhost needs. See harness/nextjs.mjs for why there is no `next build`.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createRemoteJWKSet, jwtVerify, decodeJwt } from "jose";
import { Browser } from "./harness/browser.mjs";
import { API, CLIENT_ID, CLIENT_SECRET, startNextjsAuth0 } from "./harness/nextjs.mjs";

const TOKEN_LIFETIME = 300;

let app;
let idp;
before(async () => {
  app = await startNextjsAuth0({ tokenLifetime: TOKEN_LIFETIME });
  idp = app.idp;
});
after(() => app?.stop());

/** A request the app's own client makes at the mock, outside the SDK. */
function postAsTheApp(path, form) {
  return fetch(`${idp.origin}${path}`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ ...form, client_id: CLIENT_ID, client_secret: CLIENT_SECRET }),
  });
}

async function getJson(browser, path) {
  const res = await browser.fetch(`${app.origin}${path}`);
  return { status: res.status, body: await res.json() };
}

/**
 * Moves the app's clock (the SDK reads Date.now) and the mock's together past the access
 * tokens' lifetime, for the rest of test `t`; returns the seconds moved.
 */
async function outliveAccessTokens(t) {
  const later = TOKEN_LIFETIME + 60;
  t.mock.timers.enable({ apis: ["Date"], now: Date.now() });
  t.mock.timers.tick(later * 1000);
  await idp.control.post("clock", { advance_secs: later });
  t.after(() => idp.control.post("clock", { advance_secs: -later }));
  return later;
}

test("/auth/login sends the user to the mock's /authorize with PKCE S256, state, nonce and the API audience", async () => {
  const browser = new Browser();

  const res = await browser.fetch(`${app.origin}/auth/login`);

  assert.equal(res.status, 307);
  const authorize = new URL(res.headers.get("location"));
  assert.equal(`${authorize.origin}${authorize.pathname}`, `${idp.origin}/authorize`);
  const params = Object.fromEntries(authorize.searchParams);
  assert.equal(params.client_id, CLIENT_ID);
  assert.equal(params.response_type, "code");
  assert.equal(params.code_challenge_method, "S256");
  assert.equal(params.redirect_uri, `${app.origin}/auth/callback`);
  assert.equal(params.audience, API);
  assert.ok(params.state && params.nonce && params.code_challenge);
});

test("the callback turns the mock's code into an app session for the user who signed in", async () => {
  const browser = await app.signedIn();

  const session = await app.sessionOf(browser);

  assert.ok(
    browser.history.some((line) => line.startsWith(`GET ${app.origin}/auth/callback?code=`)),
    browser.history.join("\n"),
  );
  assert.equal(session.user.email, "alice@example.com");
  assert.match(session.user.sub, /^auth0\|/);
  const [mockSession] = (await idp.control.get("sessions")).sessions.filter((s) => s.sid === session.internal.sid);
  assert.equal(mockSession?.sub, session.user.sub, "the app's session carries the mock session's sid");
  assert.ok(session.tokenSet.refreshToken, "offline_access gives a refresh token");
});

test("/auth/profile answers the signed-in user's claims, and 401 without a session", async () => {
  const browser = await app.signedIn();

  const profile = await getJson(browser, "/auth/profile");
  const anonymous = await new Browser().fetch(`${app.origin}/auth/profile`);

  assert.equal(profile.status, 200);
  assert.equal(profile.body.email, "alice@example.com");
  assert.match(profile.body.sub, /^auth0\|/);
  assert.equal(anonymous.status, 401);
});

test("/auth/access-token answers an access token for the API that verifies against the mock's JWKS", async () => {
  const browser = await app.signedIn();

  const { status, body } = await getJson(browser, "/auth/access-token");

  assert.equal(status, 200);
  const jwks = createRemoteJWKSet(new URL(`${idp.issuer}.well-known/jwks.json`));
  const { payload } = await jwtVerify(body.token, jwks, { issuer: idp.issuer, audience: API });
  assert.equal(payload.sub, (await app.sessionOf(browser)).user.sub);
  assert.match(body.scope, /\bread:messages\b/);
  assert.ok(body.expires_in > 0 && body.expires_in <= TOKEN_LIFETIME, `expires_in ${body.expires_in}`);
});

test("an expired access token is refreshed with the mock's refresh token", async (t) => {
  const browser = await app.signedIn();
  const before = await getJson(browser, "/auth/access-token");
  const { requests: earlier } = await idp.control.get("requests");
  const later = await outliveAccessTokens(t);

  const after = await getJson(browser, "/auth/access-token");

  assert.equal(after.status, 200, JSON.stringify(after.body));
  const [old, fresh] = [decodeJwt(before.body.token), decodeJwt(after.body.token)];
  assert.notEqual(fresh.jti, old.jti, "a new access token");
  assert.ok(fresh.exp >= old.exp + later, `issued on the mock's moved clock (exp ${fresh.exp}, was ${old.exp})`);
  const { requests } = await idp.control.get("requests");
  const refreshes = requests
    .slice(earlier.length)
    .filter((r) => r.grant_type === "refresh_token" && r.client_id === CLIENT_ID);
  assert.deepEqual(
    refreshes.map((r) => r.status),
    [200],
  );
  const session = await app.sessionOf(browser);
  assert.ok(session.tokenSet.accessToken === after.body.token, "the session keeps the new token");
});

test("once the access token expired, a refresh token the mock revoked makes /auth/access-token answer 401", async (t) => {
  const browser = await app.signedIn();
  const { tokenSet } = await app.sessionOf(browser);
  await postAsTheApp("/oauth/revoke", { token: tokenSet.refreshToken });
  await outliveAccessTokens(t);

  const { status, body } = await getJson(browser, "/auth/access-token");

  assert.equal(status, 401);
  assert.equal(body.error.code, "failed_to_refresh_token");
});

test("/auth/logout ends the mock's session, the app's session, and revokes the refresh token", async () => {
  const browser = await app.signedIn();
  const { internal, tokenSet } = await app.sessionOf(browser);
  const live = async () => (await idp.control.get("sessions")).sessions.filter((s) => s.sid === internal.sid);
  assert.equal((await live()).length, 1, "signed in at the mock");

  const page = await browser.navigate(`${app.origin}/auth/logout`);

  assert.equal(page.body, "signed out", `logout ended at ${page.url}`);
  assert.ok(
    browser.history.some((line) => line.startsWith(`GET ${idp.origin}/oidc/logout?`)),
    browser.history.join("\n"),
  );
  assert.deepEqual(await live(), []);
  assert.equal(await app.sessionOf(browser), null);
  const refresh = await postAsTheApp("/oauth/token", {
    grant_type: "refresh_token",
    refresh_token: tokenSet.refreshToken,
  });
  assert.equal(refresh.status, 403);
  assert.equal((await refresh.json()).error, "invalid_grant");
});
