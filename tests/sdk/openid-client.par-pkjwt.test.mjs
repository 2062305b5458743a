// openid-client v6 against the mock binary, unchanged: pushed authorization requests
// (RFC 9126) through the real login page, and private_key_jwt client authentication
// (RFC 7523) at the PAR and token endpoints, over HTTPS with openid-client's defaults (no
// `allowInsecureRequests`; `npm test` trusts the mock's local CA).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { webcrypto } from "node:crypto";
import * as client from "openid-client";
import { startMock } from "./harness/mock.mjs";
import { Browser } from "./harness/browser.mjs";

const APP = "http://localhost:3000/callback";
const API = "https://sample-api";

/** A P-256 key pair: the private half signs assertions, the public half is registered. */
async function clientKey() {
  const pair = await webcrypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"]);
  const spki = Buffer.from(await webcrypto.subtle.exportKey("spki", pair.publicKey)).toString("base64");
  const pem = `-----BEGIN PUBLIC KEY-----\n${spki.match(/.{1,64}/g).join("\n")}\n-----END PUBLIC KEY-----\n`;
  return { privateKey: pair.privateKey, pem };
}

let idp;
let key;

before(async () => {
  key = await clientKey();
  idp = await startMock({
    tls: true,
    config: `
[[clients]]
client_id = "par-rp"
app_type = "regular_web"
client_secret = "par-rp-secret"
callbacks = ["${APP}"]
require_pushed_authorization_requests = true

[[clients]]
client_id = "keyed-rp"
app_type = "regular_web"
callbacks = ["${APP}"]
credentials = [{ pem = """${key.pem}""", alg = "ES256" }]
grants = [{ audience = "${API}", scopes = ["read:messages"] }]
`,
  });
});
after(() => idp?.stop());

const withSecret = () => client.discovery(new URL(idp.issuer), "par-rp", "par-rp-secret");
const withKey = () =>
  client.discovery(new URL(idp.issuer), "keyed-rp", undefined, client.PrivateKeyJwt(key.privateKey));

/** PAR, then the browser at /authorize with the request_uri, login, and the code for tokens. */
async function logInWithPAR(config) {
  const verifier = client.randomPKCECodeVerifier();
  const nonce = client.randomNonce();
  const state = client.randomState();
  const url = await client.buildAuthorizationUrlWithPAR(config, {
    redirect_uri: APP,
    scope: "openid profile email",
    audience: API,
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: "S256",
    nonce,
    state,
  });
  const browser = new Browser();
  // The app at :3000 is not running: the login ends at its callback URL, which is all we need.
  await browser.login(url.toString()).catch(() => {});
  const landed = browser.history.at(-1).replace(/^GET /, "");
  assert.ok(landed.startsWith(APP), `login ended at ${landed}`);
  const tokens = await client.authorizationCodeGrant(config, new URL(landed), {
    pkceCodeVerifier: verifier,
    expectedNonce: nonce,
    expectedState: state,
    idTokenExpected: true,
  });
  return { url, tokens };
}

test("discovery offers PAR and private_key_jwt", async () => {
  const metadata = (await withSecret()).serverMetadata();
  assert.equal(metadata.pushed_authorization_request_endpoint, `${idp.issuer}oauth/par`);
  assert.equal(metadata.require_pushed_authorization_requests, false);
  assert.ok(metadata.token_endpoint_auth_methods_supported.includes("private_key_jwt"));
  assert.ok(metadata.token_endpoint_auth_signing_alg_values_supported.includes("ES256"));
});

test("a pushed request with a client secret logs in and its code buys tokens", async () => {
  const { url, tokens } = await logInWithPAR(await withSecret());

  assert.deepEqual([...url.searchParams.keys()].sort(), ["client_id", "request_uri"]);
  assert.match(url.searchParams.get("request_uri"), /^urn:ietf:params:oauth:request_uri:/);
  assert.equal(tokens.claims().aud, "par-rp");
  assert.equal(tokens.claims().sub, "auth0|alice");
});

test("a client that requires PAR is refused without it", async () => {
  const config = await withSecret();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: APP,
    scope: "openid",
    code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()),
    code_challenge_method: "S256",
  });

  const browser = new Browser();
  await browser.login(url.toString()).catch(() => {});

  const landed = new URL(browser.history.at(-1).replace(/^GET /, ""));
  assert.equal(landed.searchParams.get("error"), "invalid_request");
});

test("private_key_jwt authenticates the push and the code exchange", async () => {
  const { tokens } = await logInWithPAR(await withKey());

  assert.equal(tokens.claims().aud, "keyed-rp");
  const access = JSON.parse(Buffer.from(tokens.access_token.split(".")[1], "base64url"));
  assert.equal(access.azp, "keyed-rp");
});

test("private_key_jwt authenticates client credentials", async () => {
  const tokens = await client.clientCredentialsGrant(await withKey(), { audience: API });

  const access = JSON.parse(Buffer.from(tokens.access_token.split(".")[1], "base64url"));
  assert.equal(access.sub, "keyed-rp@clients");
  assert.equal(access.scope, "read:messages");
});

test("an assertion signed by another key is invalid_client", async () => {
  const stranger = await clientKey();
  const config = await client.discovery(
    new URL(idp.issuer),
    "keyed-rp",
    undefined,
    client.PrivateKeyJwt(stranger.privateKey),
  );

  await assert.rejects(client.clientCredentialsGrant(config, { audience: API }), (e) => {
    assert.equal(e.error, "invalid_client");
    assert.match(e.error_description, /signature does not verify/);
    return true;
  });
});

test("an assertion expired by the mock's clock is invalid_client", async (t) => {
  const config = await withKey();
  // openid-client signs with the real time, 60 s of life; the mock's clock runs an hour ahead.
  await idp.control.post("clock", { advance_secs: 3600 });
  t.after(() => idp.control.post("clock", { advance_secs: -3600 }));

  await assert.rejects(client.clientCredentialsGrant(config, { audience: API }), (e) => {
    assert.equal(e.error, "invalid_client");
    assert.match(e.error_description, /expired/);
    return true;
  });
});
