// node-auth0's `AuthenticationClient` against `mock-idp --tls` whose tenant has Actions, as a
// team's backend meets them: a post-login Action that shapes the password grant's and the
// refresh exchange's tokens (telling them apart by `event.transaction.protocol`) and denies
// one user, and a pre-user-registration Action that refuses one email domain, each through
// the SDK's own results and `AuthApiError`s.
//
// One child `node` per scenario, as in auth0-node.database.test.mjs (NODE_EXTRA_CA_CERTS is
// read only when Node starts).

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { startMock } from "./harness/mock.mjs";
import { runModule } from "./harness/child.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));

const TENANT = `
[[clients]]
client_id = "node-backend"
app_type = "regular_web"
client_secret = "node-backend-secret"
callbacks = ["http://localhost:3000/callback"]

[[actions]]
name = "protocol-claim"
trigger = "post-login"
code = '''
exports.onExecutePostLogin = async (event, api) => {
  if (event.user.email === "bob@example.com") {
    api.access.deny("Bob's account is under review.");
    return;
  }
  api.accessToken.setCustomClaim("https://sample-api/protocol", event.transaction.protocol);
  api.idToken.setCustomClaim("https://sample-api/logins", event.stats.logins_count);
};'''

[[actions]]
name = "signup-policy"
trigger = "pre-user-registration"
code = '''
exports.onExecutePreUserRegistration = async (event, api) => {
  if (event.user.email.endsWith("@blocked.example")) {
    api.access.deny("blocked_domain", "Sign-ups from this domain are not allowed.");
  }
};'''
`;

let mock;
let tlsDir;

before(async () => {
  tlsDir = mkdtempSync(path.join(tmpdir(), "mock-idp-tls-"));
  mock = await startMock({ config: TENANT, args: ["--tls", "--tls-dir", tlsDir] });
});

after(async () => {
  await mock?.stop();
  if (tlsDir) rmSync(tlsDir, { recursive: true, force: true });
});

/** Runs `body` with `auth` (node-backend's `AuthenticationClient`) and `login(username)` in scope. */
function inChild(body) {
  const script = `
    import { AuthenticationClient } from "auth0/legacy";
    const auth = new AuthenticationClient({ domain: process.env.AUTH0_DOMAIN, clientId: "node-backend", clientSecret: "node-backend-secret" });
    const login = (username) => auth.oauth.passwordGrant({
      username,
      password: "password",
      realm: "Username-Password-Authentication",
      audience: "https://sample-api",
      scope: "openid email offline_access",
    });
    try {
      const result = await (async () => { ${body} })();
      process.stdout.write(JSON.stringify({ result: result ?? null }));
    } catch (e) {
      process.stdout.write(JSON.stringify({ thrown: { name: e.name, error: e.error, message: e.message, statusCode: e.statusCode } }));
    }
  `;
  return runModule(script, {
    cwd: here,
    env: { AUTH0_DOMAIN: mock.host, NODE_EXTRA_CA_CERTS: path.join(tlsDir, "ca.pem") },
  });
}

function claims(jwt) {
  return JSON.parse(Buffer.from(jwt.split(".")[1], "base64url").toString());
}

describe("node-auth0 against a tenant with Actions, over --tls", () => {
  test("post-login shapes the password grant's tokens and the refresh exchange's, each by its protocol", async () => {
    // Act
    const out = await inChild(`
      const { data: first } = await login("alice@example.com");
      const { data: refreshed } = await auth.oauth.refreshTokenGrant({ refresh_token: first.refresh_token });
      return { first, refreshed };
    `);

    // Assert
    assert.equal(out.thrown, undefined, JSON.stringify(out.thrown));
    const { first, refreshed } = out.result;
    assert.equal(claims(first.access_token)["https://sample-api/protocol"], "oauth2-password");
    assert.equal(claims(refreshed.access_token)["https://sample-api/protocol"], "oauth2-refresh-token");
    assert.equal(
      claims(refreshed.id_token)["https://sample-api/logins"],
      claims(first.id_token)["https://sample-api/logins"],
      "a refresh is not a login",
    );
  });

  test("a post-login denial is the SDK's AuthApiError access_denied with the Action's reason", async () => {
    // Act
    const out = await inChild(`await login("bob@example.com");`);

    // Assert
    assert.equal(out.thrown.name, "AuthApiError");
    assert.equal(out.thrown.error, "access_denied");
    assert.equal(out.thrown.message, "Bob's account is under review.");
    assert.equal(out.thrown.statusCode, 403);
  });

  test("pre-user-registration refuses database.signUp as the SDK's extensibility_error with the user's message", async () => {
    // Act
    const out = await inChild(`
      await auth.database.signUp({ email: "dana@blocked.example", password: "Passw0rd!", connection: "Username-Password-Authentication" });
    `);

    // Assert
    assert.equal(out.thrown.name, "AuthApiError");
    assert.equal(out.thrown.error, "extensibility_error");
    assert.equal(out.thrown.message, "Sign-ups from this domain are not allowed.");
    assert.equal(out.thrown.statusCode, 400);
  });
});
