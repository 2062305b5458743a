// node-auth0 (the `auth0` package) `ManagementClient` against `mock-idp --tls` on the default
// tenant, with no proxy: the SDK builds `https://<domain>/api/v2/...` itself and fetches its own
// token by client credentials (`sample-m2m`) for its default audience `https://<domain>/api/v2/`.
//
// Node reads NODE_EXTRA_CA_CERTS only when a process starts, and the CA is made when the mock
// first starts, so each scenario runs the SDK in a child `node` started with the variable (the
// pattern of auth0-node.tls.test.mjs).
//
// The scenarios share one mock, so each one creates the users and roles it changes.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { startMock } from "./harness/mock.mjs";
import { runModule } from "./harness/child.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));

let mock;
let tlsDir;

before(async () => {
  tlsDir = mkdtempSync(path.join(tmpdir(), "mock-idp-tls-"));
  mock = await startMock({ args: ["--tls", "--tls-dir", tlsDir] });
});

after(async () => {
  await mock?.stop();
  if (tlsDir) rmSync(tlsDir, { recursive: true, force: true });
});

/**
 * Runs `body` (the inside of an async function with `management` (a `ManagementClient` of
 * `sample-m2m`), `domain` and `login(email, password)` in scope) in a child node that trusts the
 * mock's CA, and resolves with what it returned, or with `{ thrown }` if it threw.
 *
 * `login` is the password-realm grant of the public `sample-spa` for `https://sample-api`, a
 * plain fetch: it resolves with the token response's status and JSON.
 */
function inChild(body) {
  const script = `
    import { ManagementClient } from "auth0";
    const domain = process.env.AUTH0_DOMAIN;
    const management = new ManagementClient({ domain, clientId: "sample-m2m", clientSecret: "sample-m2m-secret" });
    const login = async (username, password) => {
      const res = await fetch("https://" + domain + "/oauth/token", {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({
          grant_type: "http://auth0.com/oauth/grant-type/password-realm",
          realm: "Username-Password-Authentication",
          client_id: "sample-spa",
          username,
          password,
          audience: "https://sample-api",
          scope: "openid email",
        }),
      });
      return { status: res.status, json: await res.json() };
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

/** The SDK's call succeeded: its result. */
function ok(out) {
  assert.equal(out.thrown, undefined, JSON.stringify(out.thrown));
  return out.result;
}

function claims(jwt) {
  return JSON.parse(Buffer.from(jwt.split(".")[1], "base64url").toString());
}

const newUser = (email) => `
  await management.users.create({
    connection: "Username-Password-Authentication",
    email: ${JSON.stringify(email)},
    password: "Str0ng-passw0rd!",
  })
`;

describe("node-auth0 ManagementClient over --tls, no proxy", () => {
  test("users.get returns a tenant user by id, through a token the SDK fetched itself", async () => {
    // Act
    const out = await inChild(`
      const alice = await management.users.get("auth0|alice");
      // The parent does not trust the mock's CA, so the child reads the journal.
      const res = await fetch("https://" + domain + "/_mock/requests", { headers: { "x-mock-idp": "1" } });
      const { requests } = await res.json();
      return { alice, endpoints: requests.map((r) => r.endpoint) };
    `);

    // Assert
    const { alice, endpoints } = ok(out);
    assert.equal(alice.user_id, "auth0|alice");
    assert.equal(alice.email, "alice@example.com");
    assert.equal(alice.name, "Alice Example");
    assert.ok(endpoints.includes("token"), `the SDK fetched its token from the mock: ${endpoints}`);
  });

  test("a user created through the SDK can log in at once with its password", async () => {
    // Act
    const out = await inChild(`
      const created = ${newUser("carol@example.com")};
      const token = await login("carol@example.com", "Str0ng-passw0rd!");
      return { created, token };
    `);

    // Assert
    const { created, token } = ok(out);
    assert.equal(created.email, "carol@example.com");
    assert.match(created.user_id, /^auth0\|/);
    assert.equal(token.status, 200, JSON.stringify(token.json));
    assert.equal(claims(token.json.access_token).sub, created.user_id);
    assert.equal(claims(token.json.id_token).email, "carol@example.com");
  });

  test("users.update merges app_metadata with what the user had", async () => {
    // Act
    const out = await inChild(`
      const created = ${newUser("dave@example.com")};
      await management.users.update(created.user_id, { app_metadata: { plan: "pro", seats: 3 } });
      await management.users.update(created.user_id, { app_metadata: { seats: 5, region: "eu" } });
      const data = await management.users.get(created.user_id);
      return data;
    `);

    // Assert
    assert.deepEqual(ok(out).app_metadata, { plan: "pro", seats: 5, region: "eu" });
  });

  test("users.delete removes the user: it is then a 404 and cannot log in", async () => {
    // Act
    const out = await inChild(`
      const created = ${newUser("erin@example.com")};
      await management.users.delete(created.user_id);
      const token = await login("erin@example.com", "Str0ng-passw0rd!");
      try {
        await management.users.get(created.user_id);
        return { token, afterDelete: "found" };
      } catch (e) {
        return { token, afterDelete: e.statusCode };
      }
    `);

    // Assert
    const { token, afterDelete } = ok(out);
    assert.equal(afterDelete, 404);
    assert.notEqual(token.status, 200);
    assert.equal(token.json.error, "invalid_grant");
  });

  test("users.list with a q by email finds exactly that user", async () => {
    // Act
    const out = await inChild(`
      const page = await management.users.list({ q: 'email:"bob@example.com"', search_engine: "v3" });
      return page.data.map((u) => u.user_id);
    `);

    // Assert
    assert.deepEqual(ok(out), ["auth0|bob"]);
  });

  test("users.listUsersByEmail finds a user by email, case-insensitively", async () => {
    // Act
    const out = await inChild(`
      const data = await management.users.listUsersByEmail({ email: "Alice@Example.com" });
      return data.map((u) => u.user_id);
    `);

    // Assert
    assert.deepEqual(ok(out), ["auth0|alice"]);
  });

  test("roles.create then roles.list shows the new role", async () => {
    // Act
    const out = await inChild(`
      const created = await management.roles.create({ name: "auditor", description: "Reads the audit log" });
      const page = await management.roles.list();
      return { created, listed: page.data };
    `);

    // Assert
    const { created, listed } = ok(out);
    assert.equal(created.name, "auditor");
    assert.equal(created.description, "Reads the audit log");
    assert.ok(created.id, "the role has an id");
    assert.deepEqual(
      listed.filter((r) => r.name === "auditor").map((r) => r.id),
      [created.id],
    );
  });

  test("a role assigned through the SDK puts its permission in the user's next access token", async () => {
    // Arrange: bob holds no permission of https://sample-api of his own.
    // Act
    const out = await inChild(`
      const before = await login("bob@example.com", "password");
      const role = await management.roles.create({ name: "reader" });
      await management.roles.permissions.add(role.id, {
        permissions: [{ resource_server_identifier: "https://sample-api", permission_name: "read:messages" }],
      });
      await management.users.roles.assign("auth0|bob", { roles: [role.id] });
      const roles = await management.users.roles.list("auth0|bob");
      const after = await login("bob@example.com", "password");
      return { before, after, roles: roles.data.map((r) => r.name) };
    `);

    // Assert
    const { before, after, roles } = ok(out);
    assert.equal(before.status, 200, JSON.stringify(before.json));
    assert.deepEqual(claims(before.json.access_token).permissions, []);
    assert.deepEqual(roles, ["reader"]);
    assert.equal(after.status, 200, JSON.stringify(after.json));
    assert.deepEqual(claims(after.json.access_token).permissions, ["read:messages"]);
  });

  test("creating a user whose email exists surfaces as the SDK's error with status 409", async () => {
    // Act
    const out = await inChild(`
      ${newUser("alice@example.com")};
      return "created";
    `);

    // Assert
    assert.equal(out.result, undefined);
    assert.equal(out.thrown.statusCode, 409);
    assert.equal(out.thrown.body.statusCode, 409);
    assert.match(out.thrown.body.message, /already exists/i);
  });

  test("an unknown user id surfaces as the SDK's error with status 404", async () => {
    // Act
    const out = await inChild(`
      const data = await management.users.get("auth0|nobody");
      return data;
    `);

    // Assert
    assert.equal(out.result, undefined);
    assert.equal(out.thrown.statusCode, 404);
    assert.equal(out.thrown.body.error, "Not Found");
  });
});
