// node-auth0 (the `auth0` package) `AuthenticationClient`'s `database` and `passwordless`
// against `mock-idp --tls`, unchanged: sign-up (then a password login), a sign-up for an
// existing user (the SDK's error), a password change finished on the page the reset email
// links to, and a passwordless email login with the code read from the outbox
// (`GET /_mock/outbox`), where the mailbox would be on Auth0.
//
// auth0 7.x ships `AuthenticationClient` under `auth0/legacy` (its main entry point is the
// Management API only). Node reads NODE_EXTRA_CA_CERTS only when a process starts, so each
// scenario runs the SDK in a child `node` (the pattern of auth0-node.tls.test.mjs).
//
// The scenarios share one mock, so each signs up or starts with an email of its own.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { startMock } from "./harness/mock.mjs";
import { runModule } from "./harness/child.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));

// A confidential regular web app: node-auth0 sends its secret wherever it authenticates
// (the passwordless start and grant included).
const TENANT = `
[[clients]]
client_id = "node-backend"
app_type = "regular_web"
client_secret = "node-backend-secret"
callbacks = ["http://localhost:3000/callback"]
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

/**
 * Runs `body` (the inside of an async function with `auth` (an `AuthenticationClient` of
 * `node-backend`), `domain`, `control(method, route, json)`, `outbox(to)` (the messages sent
 * to `to`) and `login(username, password)` (the SDK's password-realm grant) in scope) in a
 * child node that trusts the mock's CA; resolves with what it returned, or `{ thrown }`.
 */
function inChild(body) {
  const script = `
    import { AuthenticationClient } from "auth0/legacy";
    const domain = process.env.AUTH0_DOMAIN;
    const auth = new AuthenticationClient({ domain, clientId: "node-backend", clientSecret: "node-backend-secret" });
    const control = async (method, route, json) => {
      const res = await fetch("https://" + domain + "/_mock/" + route, {
        method,
        headers: { "x-mock-idp": "1", "content-type": "application/json" },
        body: json === undefined ? undefined : JSON.stringify(json),
      });
      const text = await res.text();
      return text ? JSON.parse(text) : null;
    };
    const outbox = async (to) => (await control("GET", "outbox?to=" + encodeURIComponent(to))).messages;
    const login = (username, password) => auth.oauth.passwordGrant({
      username,
      password,
      realm: "Username-Password-Authentication",
      scope: "openid email",
    });
    try {
      const result = await (async () => { ${body} })();
      process.stdout.write(JSON.stringify({ result: result ?? null }));
    } catch (e) {
      process.stdout.write(JSON.stringify({ thrown: { name: e.name, error: e.error, message: e.message, statusCode: e.statusCode, body: e.body } }));
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

function ok(out) {
  assert.equal(out.thrown, undefined, JSON.stringify(out.thrown));
  return out.result;
}

describe("node-auth0 database and passwordless over --tls", () => {
  test("database.signUp creates a user who logs in at once with the password grant", async () => {
    // Act
    const result = ok(
      await inChild(`
        const { data: created } = await auth.database.signUp({
          email: "dana@example.com",
          password: "Passw0rd!",
          connection: "Username-Password-Authentication",
          given_name: "Dana",
          user_metadata: { plan: "free" },
        });
        const { data: tokens } = await login("dana@example.com", "Passw0rd!");
        const [verification] = await outbox("dana@example.com");
        return { created, tokens, verification };
      `),
    );

    // Assert
    const { created, tokens, verification } = result;
    assert.equal(created.email, "dana@example.com");
    assert.equal(created.email_verified, false);
    assert.match(created._id, /^[0-9a-f]{24}$/);
    assert.equal(created.id, created._id, "the SDK maps _id to id");
    assert.deepEqual(created.user_metadata, { plan: "free" });
    assert.equal(claims(tokens.id_token).sub, `auth0|${created._id}`);
    assert.equal(verification.kind, "verify_email");
    assert.ok(verification.link.startsWith(`${mock.issuer}u/email-verification?ticket=`), verification.link);
  });

  test("database.signUp of an existing user is the SDK's AuthApiError invalid_signup", async () => {
    // Act
    const out = await inChild(`
      await auth.database.signUp({ email: "alice@example.com", password: "Passw0rd!", connection: "Username-Password-Authentication" });
    `);

    // Assert
    assert.equal(out.result, undefined);
    assert.equal(out.thrown.name, "AuthApiError");
    assert.equal(out.thrown.error, "invalid_signup");
    assert.equal(out.thrown.message, "Invalid sign up");
    assert.equal(out.thrown.statusCode, 400);
  });

  test("database.signUp with a weak password is the SDK's invalid_password, with the policy", async () => {
    const out = await inChild(`
      await auth.database.signUp({ email: "weak@example.com", password: "password", connection: "Username-Password-Authentication" });
    `);
    assert.equal(out.thrown.name, "AuthApiError");
    assert.equal(out.thrown.error, "invalid_password");
    assert.equal(out.thrown.statusCode, 400);
    assert.match(JSON.parse(out.thrown.body).policy, /At least 8 characters in length/);
  });

  test("database.changePassword, then the emailed page sets a new password that logs in", async () => {
    // Act
    const result = ok(
      await inChild(`
        await auth.database.signUp({ email: "erin@example.com", password: "Passw0rd!", connection: "Username-Password-Authentication" });
        const { data: answer } = await auth.database.changePassword({ email: "erin@example.com", connection: "Username-Password-Authentication" });
        const reset = (await outbox("erin@example.com")).find((m) => m.kind === "reset_password");
        const page = await (await fetch(reset.link)).text();
        const ticket = /name="ticket" value="([^"]+)"/.exec(page)[1];
        const posted = await fetch("https://" + domain + "/u/reset-password", {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded" },
          body: new URLSearchParams({ ticket, password: "N3w-passw0rd", confirm: "N3w-passw0rd" }),
        });
        const { data: tokens } = await login("erin@example.com", "N3w-passw0rd");
        let old;
        try { await login("erin@example.com", "Passw0rd!"); old = "accepted"; } catch (e) { old = e.error; }
        return { answer, posted: posted.status, sub: JSON.parse(Buffer.from(tokens.id_token.split(".")[1], "base64url")).email, old };
      `),
    );

    // Assert
    assert.equal(result.answer, "We've just sent you an email to reset your password.");
    assert.equal(result.posted, 200);
    assert.equal(result.sub, "erin@example.com");
    assert.equal(result.old, "invalid_grant", "the old password fails");
  });

  test("passwordless.sendEmail, then loginWithEmail with the code from the outbox", async () => {
    // Act
    const result = ok(
      await inChild(`
        await auth.passwordless.sendEmail({ email: "frank@example.com", send: "code" });
        const [message] = await outbox("frank@example.com");
        const { data } = await auth.passwordless.loginWithEmail({ email: "frank@example.com", code: message.code, scope: "openid email" });
        return { message, data };
      `),
    );

    // Assert: the SDK validated the ID token; the user was made on the email connection.
    assert.equal(result.message.kind, "otp");
    assert.match(result.message.code, /^\d{6}$/);
    const id = claims(result.data.id_token);
    assert.equal(id.email, "frank@example.com");
    assert.match(id.sub, /^email\|/);
    assert.equal(id.iss, mock.issuer);
  });

  test("passwordless.loginWithEmail with a wrong code is the SDK's invalid_grant", async () => {
    // Act
    const out = await inChild(`
      await auth.passwordless.sendEmail({ email: "gina@example.com", send: "code" });
      const [message] = await outbox("gina@example.com");
      const wrong = message.code === "000000" ? "111111" : "000000";
      await auth.passwordless.loginWithEmail({ email: "gina@example.com", code: wrong });
    `);

    // Assert
    assert.equal(out.result, undefined);
    assert.equal(out.thrown.name, "AuthApiError");
    assert.equal(out.thrown.error, "invalid_grant");
    assert.equal(out.thrown.message, "Wrong email or verification code.");
    assert.equal(out.thrown.statusCode, 403);
  });
});
