// openid-client v6 (a certified, strict relying party) against the mock binary, unchanged.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import * as client from "openid-client";
import { startMock } from "./harness/mock.mjs";
import { Browser } from "./harness/browser.mjs";

const APP = "http://localhost:3000/callback";
const tenant = `
[[apis]]
identifier = "https://sample-api"
permissions = ["read:messages"]

[[clients]]
client_id = "strict-rp"
app_type = "regular_web"
client_secret = "strict-rp-secret"
callbacks = ["${APP}"]
allowed_logout_urls = ["http://localhost:3000/"]
`;

let idp;
let config;
before(async () => {
  idp = await startMock({ config: tenant });
  config = await client.discovery(new URL(idp.issuer), "strict-rp", "strict-rp-secret", undefined, {
    execute: [client.allowInsecureRequests],
  });
});
after(() => idp?.stop());

test("discovery names the issuer exactly as the mock serves it", () => {
  assert.equal(config.serverMetadata().issuer, idp.issuer);
});

test("the code flow with PKCE S256 gives tokens openid-client accepts", async () => {
  const verifier = client.randomPKCECodeVerifier();
  const nonce = client.randomNonce();
  const state = client.randomState();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: APP,
    scope: "openid profile email offline_access",
    audience: "https://sample-api",
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: "S256",
    nonce,
    state,
  });
  const browser = new Browser();
  // The app at :3000 is not running: the login ends at its callback URL, which is all we need.
  const callback = await browser.login(url.toString()).catch((e) => e);
  const landed = browser.history.at(-1).replace(/^GET /, "");
  assert.ok(landed.startsWith(APP), `login ended at ${landed} (${callback})`);

  const tokens = await client.authorizationCodeGrant(config, new URL(landed), {
    pkceCodeVerifier: verifier,
    expectedNonce: nonce,
    expectedState: state,
    idTokenExpected: true,
  });
  assert.equal(tokens.claims().sub.startsWith("auth0|"), true);
  assert.ok(tokens.refresh_token, "offline_access gives a refresh token");

  const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
  assert.equal(refreshed.claims().sub, tokens.claims().sub);

  await client.tokenRevocation(config, refreshed.refresh_token);
  await assert.rejects(client.refreshTokenGrant(config, refreshed.refresh_token), (e) => {
    assert.equal(e.error, "invalid_grant");
    return true;
  });
});

test("a wrong client secret is refused with a Basic challenge (RFC 6749 5.2: 401 invalid_client)", async () => {
  const wrong = await client.discovery(new URL(idp.issuer), "strict-rp", "not-the-secret", undefined, {
    execute: [client.allowInsecureRequests],
  });
  await assert.rejects(client.clientCredentialsGrant(wrong, { audience: "https://sample-api" }), (e) => {
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
