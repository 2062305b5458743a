// node-auth0's `AuthenticationClient` against `mock-idp --tls` whose tenant has Actions, as a
// team's backend meets them: a post-login Action that shapes the password grant's and the
// refresh exchange's tokens (telling them apart by `event.transaction.protocol`) and denies
// one user, and a pre-user-registration Action that refuses one email domain, each through
// the SDK's own results and `AuthApiError`s. `npm test` trusts the mock's CA for the whole
// run (harness/run.mjs), so the SDK runs in the test process.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";

import { AuthenticationClient } from "auth0/legacy";

import { startMock } from "./harness/mock.mjs";

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
let auth;

before(async () => {
  mock = await startMock({ config: TENANT, tls: true });
  auth = new AuthenticationClient({
    domain: mock.host,
    clientId: "node-backend",
    clientSecret: "node-backend-secret",
  });
});

after(async () => {
  await mock?.stop();
});

/** The SDK's password-realm grant for the sample API, password `password`. */
function login(username) {
  return auth.oauth.passwordGrant({
    username,
    password: "password",
    realm: "Username-Password-Authentication",
    audience: "https://sample-api",
    scope: "openid email offline_access",
  });
}

/** What the SDK threw for `call`, which must throw. */
async function thrown(call) {
  try {
    await call();
  } catch (e) {
    return e;
  }
  assert.fail("the call succeeded");
}

function claims(jwt) {
  return JSON.parse(Buffer.from(jwt.split(".")[1], "base64url").toString());
}

describe("node-auth0 against a tenant with Actions, over --tls", () => {
  test("post-login shapes the password grant's tokens and the refresh exchange's, each by its protocol", async () => {
    // Act
    const { data: first } = await login("alice@example.com");
    const { data: refreshed } = await auth.oauth.refreshTokenGrant({ refresh_token: first.refresh_token });

    // Assert
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
    const error = await thrown(() => login("bob@example.com"));

    // Assert
    assert.equal(error.name, "AuthApiError");
    assert.equal(error.error, "access_denied");
    assert.equal(error.message, "Bob's account is under review.");
    assert.equal(error.statusCode, 403);
  });

  test("pre-user-registration refuses database.signUp as the SDK's extensibility_error with the user's message", async () => {
    // Act
    const error = await thrown(() =>
      auth.database.signUp({
        email: "dana@blocked.example",
        password: "Passw0rd!",
        connection: "Username-Password-Authentication",
      }),
    );

    // Assert
    assert.equal(error.name, "AuthApiError");
    assert.equal(error.error, "extensibility_error");
    assert.equal(error.message, "Sign-ups from this domain are not allowed.");
    assert.equal(error.statusCode, 400);
  });
});
