// node-auth0 (the `auth0` package) managing Actions against `mock-idp --tls`, unchanged: the
// `ManagementClient` creates an Action (Auth0's "Add user roles to ID and Access tokens"),
// deploys it and binds it to post-login (`actions.triggers.bindings.updateMany`); then the
// `AuthenticationClient` (`auth0/legacy` in 7.x) logs a user in with the password grant and the
// tokens carry the claim. An Action's `api.user.setAppMetadata` is read back with `users.get`.
//
// Node reads NODE_EXTRA_CA_CERTS only when a process starts, so each scenario runs the SDKs in
// a child `node` (the pattern of auth0-node.management.test.mjs). The scenarios share one
// mock; each creates Actions of its own names and sets the post-login bindings it needs.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { startMock } from "./harness/mock.mjs";
import { runModule } from "./harness/child.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));

// A confidential web app for the AuthenticationClient (it sends its secret with the grant), and
// a user holding a role for the Action to copy into the tokens.
const TENANT = `
[[clients]]
client_id = "node-backend"
app_type = "regular_web"
client_secret = "node-backend-secret"
callbacks = ["http://localhost:3000/callback"]

[[roles]]
name = "admin"

[[users]]
email = "carol@example.com"
password = "password"
roles = ["admin"]
`;

// Auth0's documented Action, unchanged.
const ADD_ROLES = `exports.onExecutePostLogin = async (event, api) => {
  const namespace = 'https://example.com';
  if (event.authorization) {
    api.idToken.setCustomClaim(\`\${namespace}/roles\`, event.authorization.roles);
    api.accessToken.setCustomClaim(\`\${namespace}/roles\`, event.authorization.roles);
  }
};`;

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
 * Runs `body` (the inside of an async function with `management` (a `ManagementClient` of
 * `sample-m2m`), `auth` (an `AuthenticationClient` of `node-backend`), `login(username)` (the
 * SDK's password grant for `https://sample-api`, password `password`) and
 * `deployAndBind(name, code)` in scope) in a child node that trusts the mock's CA; resolves with
 * what it returned, or `{ thrown }`.
 */
function inChild(body) {
  const script = `
    import { ManagementClient } from "auth0";
    import { AuthenticationClient } from "auth0/legacy";
    const domain = process.env.AUTH0_DOMAIN;
    const management = new ManagementClient({ domain, clientId: "sample-m2m", clientSecret: "sample-m2m-secret" });
    const auth = new AuthenticationClient({ domain, clientId: "node-backend", clientSecret: "node-backend-secret" });
    const login = async (username) => (await auth.oauth.passwordGrant({
      username,
      password: "password",
      audience: "https://sample-api",
      scope: "openid email",
    })).data;
    const deployAndBind = async (name, code) => {
      const action = await management.actions.create({
        name,
        supported_triggers: [{ id: "post-login", version: "v3" }],
        code,
        runtime: "node22",
      });
      const version = await management.actions.deploy(action.id);
      const bindings = await management.actions.triggers.bindings.updateMany("post-login", {
        bindings: [{ ref: { type: "action_name", value: name }, display_name: name }],
      });
      return { action, version, bindings };
    };
    try {
      const result = await (async () => { ${body} })();
      process.stdout.write(JSON.stringify({ result: result ?? null }));
    } catch (e) {
      process.stdout.write(JSON.stringify({ thrown: { name: e.name, statusCode: e.statusCode, body: e.body, message: e.message } }));
    }
  `;
  return runModule(script, {
    cwd: here,
    env: { AUTH0_DOMAIN: mock.host, NODE_EXTRA_CA_CERTS: path.join(tlsDir, "ca.pem") },
  });
}

function ok(out) {
  assert.equal(out.thrown, undefined, JSON.stringify(out.thrown));
  return out.result;
}

function claims(jwt) {
  return JSON.parse(Buffer.from(jwt.split(".")[1], "base64url").toString());
}

describe("node-auth0 manages Actions over --tls", () => {
  test("an Action created, deployed and bound with the SDK adds the user's roles to the next login's tokens", async () => {
    // Act
    const out = await inChild(`
      const before = await login("carol@example.com");
      const { action, version, bindings } = await deployAndBind("add-roles", ${JSON.stringify(ADD_ROLES)});
      const after = await login("carol@example.com");
      const listed = [];
      for await (const a of await management.actions.list({ triggerId: "post-login", deployed: true })) listed.push(a.name);
      const triggers = await management.actions.triggers.list();
      return { before, action, version, bindings, after, listed, triggers };
    `);

    // Assert
    const { before, action, version, bindings, after, listed, triggers } = ok(out);
    assert.equal(claims(before.id_token)["https://example.com/roles"], undefined, "not bound yet");
    assert.equal(action.status, "built");
    assert.equal(version.deployed, true);
    assert.equal(version.action_id, action.id);
    assert.equal(bindings.bindings[0].action.id, action.id);
    assert.deepEqual(claims(after.id_token)["https://example.com/roles"], ["admin"]);
    assert.deepEqual(claims(after.access_token)["https://example.com/roles"], ["admin"]);
    assert.deepEqual(listed, ["add-roles"]);
    assert.ok(triggers.triggers.some((t) => t.id === "post-login" && t.version === "v3"), JSON.stringify(triggers));
  });

  test("app_metadata an Action sets on login is what users.get shows", async () => {
    // Act
    const out = await inChild(`
      await deployAndBind("onboard", "exports.onExecutePostLogin = async (event, api) => { api.user.setAppMetadata('onboarded', true); };");
      await login("alice@example.com");
      return await management.users.get("auth0|alice");
    `);

    // Assert
    const alice = ok(out);
    assert.equal(alice.app_metadata.onboarded, true, JSON.stringify(alice));
  });

  test("deleting a bound Action without force is the SDK's BadRequestError, with force it goes", async () => {
    // Act
    const out = await inChild(`
      const { action } = await deployAndBind("to-delete", "exports.onExecutePostLogin = async () => {};");
      let refused;
      try { await management.actions.delete(action.id); } catch (e) { refused = { name: e.name, statusCode: e.statusCode }; }
      await management.actions.delete(action.id, { force: true });
      const bindings = [];
      for await (const b of await management.actions.triggers.bindings.list("post-login")) bindings.push(b);
      return { refused, bindings };
    `);

    // Assert
    const { refused, bindings } = ok(out);
    assert.equal(refused.statusCode, 400, JSON.stringify(refused));
    assert.deepEqual(bindings, []);
  });
});
