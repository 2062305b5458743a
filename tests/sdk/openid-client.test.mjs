// openid-client v6 (a certified, strict relying party) against the mock binary over HTTPS,
// unchanged and with its defaults: no `allowInsecureRequests`. `npm test` makes Node trust
// the mock's local CA (NODE_EXTRA_CA_CERTS), as a developer's machine would after
// `mock-idp --tls` told them where its CA is.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { createServer } from "node:http";
import * as client from "openid-client";
import { startMock } from "./harness/mock.mjs";
import { Browser } from "./harness/browser.mjs";

const API = "https://sample-api";

/**
 * The relying party's own origin: a server that answers every request with 200 and keeps the
 * `form_post` bodies it was sent, so the browser's last request is the authorization response.
 */
async function startApp() {
  const posts = [];
  const server = createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8").on("data", (chunk) => (body += chunk));
    req.on("end", () => {
      if (req.method === "POST") posts.push({ url: req.url, body });
      res.end("the app");
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const origin = `http://localhost:${server.address().port}`;
  return { origin, callback: `${origin}/callback`, posts, stop: () => new Promise((r) => server.close(r)) };
}

let app;
let idp;
let config;
before(async () => {
  app = await startApp();
  idp = await startMock({
    tls: true,
    config: `
[[apis]]
identifier = "${API}"
permissions = ["read:messages"]

[[clients]]
client_id = "strict-rp"
app_type = "regular_web"
client_secret = "strict-rp-secret"
callbacks = ["${app.callback}"]
allowed_logout_urls = ["${app.origin}/"]
grants = [{ audience = "${API}", scopes = ["read:messages"] }]
`,
  });
  config = await client.discovery(new URL(idp.issuer), "strict-rp", "strict-rp-secret");
});
after(async () => {
  await idp?.stop();
  await app?.stop();
});

/** strict-rp configured for another response type (`useIdTokenResponseType`, ...). */
const configuredWith = (responseType) =>
  client.discovery(new URL(idp.issuer), "strict-rp", "strict-rp-secret", undefined, { execute: [responseType] });

/** Plays the user from `url` to the app's callback; returns the URL the browser landed on. */
async function logIn(url, browser = new Browser()) {
  await browser.login(url.toString());
  const [method, landed] = browser.history.at(-1).split(" ");
  assert.ok(landed.startsWith(app.callback), `login ended at ${method} ${landed}`);
  return new URL(landed);
}

/** The left half of the SHA-256 of `value`, base64url: `at_hash`/`c_hash` for RS256. */
const halfHash = (value) => createHash("sha256").update(value).digest().subarray(0, 16).toString("base64url");

const claimsOf = (jwt) => JSON.parse(Buffer.from(jwt.split(".")[1], "base64url"));

test("discovery over https names the issuer exactly as the mock serves it", () => {
  assert.match(idp.issuer, /^https:\/\/localhost:\d+\/$/);
  assert.equal(config.serverMetadata().issuer, idp.issuer);
});

test("against the plain http mock openid-client refuses to talk unless allowed insecure requests", async () => {
  const plain = await startMock();
  try {
    await assert.rejects(client.discovery(new URL(plain.issuer), "strict-rp", "strict-rp-secret"), (e) => {
      assert.equal(e.code, "OAUTH_HTTP_REQUEST_FORBIDDEN");
      return true;
    });
    const allowed = await client.discovery(new URL(plain.issuer), "strict-rp", "strict-rp-secret", undefined, {
      execute: [client.allowInsecureRequests],
    });
    assert.equal(allowed.serverMetadata().issuer, plain.issuer);
  } finally {
    await plain.stop();
  }
});

test("the code flow with PKCE S256 gives tokens openid-client accepts", async () => {
  const verifier = client.randomPKCECodeVerifier();
  const nonce = client.randomNonce();
  const state = client.randomState();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: app.callback,
    scope: "openid profile email offline_access",
    audience: API,
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: "S256",
    nonce,
    state,
  });
  const landed = await logIn(url);

  const tokens = await client.authorizationCodeGrant(config, landed, {
    pkceCodeVerifier: verifier,
    expectedNonce: nonce,
    expectedState: state,
    idTokenExpected: true,
  });
  assert.equal(tokens.claims().sub, "auth0|alice");
  assert.ok(tokens.refresh_token, "offline_access gives a refresh token");

  const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
  assert.equal(refreshed.claims().sub, tokens.claims().sub);

  await client.tokenRevocation(config, refreshed.refresh_token);
  await assert.rejects(client.refreshTokenGrant(config, refreshed.refresh_token), (e) => {
    assert.equal(e.error, "invalid_grant");
    return true;
  });
});

test("client credentials give an access token for the API with the granted scopes", async () => {
  const tokens = await client.clientCredentialsGrant(config, { audience: API });

  assert.equal(tokens.token_type.toLowerCase(), "bearer");
  const access = claimsOf(tokens.access_token);
  assert.equal(access.iss, idp.issuer);
  assert.equal(access.sub, "strict-rp@clients");
  assert.equal(access.aud, API);
  assert.equal(access.scope, "read:messages");
});

test("a wrong client secret is refused with a Basic challenge (RFC 6749 5.2: 401 invalid_client)", async () => {
  const wrong = await client.discovery(new URL(idp.issuer), "strict-rp", "not-the-secret");
  await assert.rejects(client.clientCredentialsGrant(wrong, { audience: API }), (e) => {
    // openid-client surfaces a 401 with WWW-Authenticate as a challenge, not as the body's error.
    assert.equal(e.status, 401);
    assert.equal(e.code, "OAUTH_WWW_AUTHENTICATE_CHALLENGE");
    assert.deepEqual(
      e.cause.map((c) => c.scheme),
      ["basic"],
    );
    return true;
  });
});

test("the implicit flow (response_type=id_token, fragment) gives an ID token implicitAuthentication accepts", async () => {
  const implicit = await configuredWith(client.useIdTokenResponseType);
  const nonce = client.randomNonce();
  const state = client.randomState();
  const url = client.buildAuthorizationUrl(implicit, {
    redirect_uri: app.callback,
    scope: "openid profile",
    nonce,
    state,
  });
  assert.equal(url.searchParams.get("response_type"), "id_token");

  const landed = await logIn(url);
  const claims = await client.implicitAuthentication(implicit, landed, nonce, { expectedState: state });

  assert.equal(claims.iss, idp.issuer);
  assert.equal(claims.aud, "strict-rp");
  assert.equal(claims.sub, "auth0|alice");
  assert.equal(claims.nonce, nonce);
  assert.equal(new URLSearchParams(landed.hash.slice(1)).has("access_token"), false);
});

test("the implicit flow (id_token token, form_post) gives an ID token bound to a working access token", async () => {
  const implicit = await configuredWith(client.useIdTokenResponseType);
  const nonce = client.randomNonce();
  const state = client.randomState();
  const url = client.buildAuthorizationUrl(implicit, {
    redirect_uri: app.callback,
    response_type: "id_token token",
    response_mode: "form_post",
    scope: "openid profile",
    nonce,
    state,
  });

  const postsBefore = app.posts.length;
  await logIn(url);
  assert.equal(app.posts.length, postsBefore + 1, "the browser posted the response to the callback");
  const posted = app.posts.at(-1);
  assert.equal(posted.url, "/callback");
  // What a server-side app hands openid-client: the POST the browser made to its callback.
  const request = new Request(app.callback, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: posted.body,
  });
  const claims = await client.implicitAuthentication(implicit, request, nonce, { expectedState: state });

  // openid-client validates the ID token only; its at_hash binds the access token to it.
  const accessToken = new URLSearchParams(posted.body).get("access_token");
  assert.ok(accessToken, "id_token token returns an access token");
  assert.equal(claims.at_hash, halfHash(accessToken));
  const userinfo = await client.fetchUserInfo(implicit, accessToken, claims.sub);
  assert.equal(userinfo.sub, "auth0|alice");
});

test("the hybrid flow (code id_token) passes authorizationCodeGrant's c_hash check and buys tokens", async () => {
  const hybrid = await configuredWith(client.useCodeIdTokenResponseType);
  const verifier = client.randomPKCECodeVerifier();
  const nonce = client.randomNonce();
  const state = client.randomState();
  const url = client.buildAuthorizationUrl(hybrid, {
    redirect_uri: app.callback,
    scope: "openid profile",
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: "S256",
    nonce,
    state,
  });
  assert.equal(url.searchParams.get("response_type"), "code id_token");

  const landed = await logIn(url);
  const front = new URLSearchParams(landed.hash.slice(1));
  assert.equal(claimsOf(front.get("id_token")).c_hash, halfHash(front.get("code")));
  const tokens = await client.authorizationCodeGrant(hybrid, landed, {
    pkceCodeVerifier: verifier,
    expectedNonce: nonce,
    expectedState: state,
  });

  assert.equal(tokens.claims().sub, "auth0|alice");
  assert.equal(tokens.claims().nonce, nonce);
});

test("a hybrid response whose code was swapped for another fails openid-client's c_hash check", async () => {
  const hybrid = await configuredWith(client.useCodeIdTokenResponseType);
  const nonce = client.randomNonce();
  const login = () => logIn(client.buildAuthorizationUrl(hybrid, { redirect_uri: app.callback, scope: "openid", nonce }));
  const first = await login();
  const second = await login();
  const swapped = new URLSearchParams(first.hash.slice(1));
  swapped.set("code", new URLSearchParams(second.hash.slice(1)).get("code"));
  first.hash = swapped.toString();

  await assert.rejects(client.authorizationCodeGrant(hybrid, first, { expectedNonce: nonce }), (e) => {
    assert.match(e.cause?.message ?? e.message, /c_hash/);
    return true;
  });
});

test("buildEndSessionUrl ends the mock session and lands on post_logout_redirect_uri", async () => {
  const browser = new Browser();
  const nonce = client.randomNonce();
  const implicit = await configuredWith(client.useIdTokenResponseType);
  const landed = await logIn(
    client.buildAuthorizationUrl(implicit, { redirect_uri: app.callback, scope: "openid", nonce }),
    browser,
  );
  const idToken = new URLSearchParams(landed.hash.slice(1)).get("id_token");
  const { sid } = await client.implicitAuthentication(implicit, landed, nonce);
  const sids = async () => (await idp.control.get("sessions")).sessions.map((s) => s.sid);
  assert.ok((await sids()).includes(sid), `the login made session ${sid}`);

  const logout = client.buildEndSessionUrl(config, {
    id_token_hint: idToken,
    post_logout_redirect_uri: `${app.origin}/`,
  });
  assert.equal(`${logout.origin}${logout.pathname}`, `${idp.origin}/oidc/logout`);
  const page = await browser.navigate(logout.toString());

  assert.equal(page.url, `${app.origin}/`);
  assert.equal(page.status, 200);
  assert.equal((await sids()).includes(sid), false);
});
