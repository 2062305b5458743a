// node-auth0 (the `auth0` package) `ManagementClient` against `mock-idp --tls`: organizations,
// their members and the members' roles, through the SDK's own calls and types, unchanged. The
// SDK builds `https://<domain>/api/v2/...` and fetches its token by client credentials
// (`sample-m2m`); `npm test` trusts the mock's CA for the whole run (harness/run.mjs).
//
// The default tenant has one organization, `acme`, whose one member is alice.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";

import { ManagementClient } from "auth0";

import { startMock } from "./harness/mock.mjs";

let mock;
let management;

before(async () => {
  mock = await startMock({ tls: true });
  management = new ManagementClient({
    domain: mock.host,
    clientId: "sample-m2m",
    clientSecret: "sample-m2m-secret",
  });
});

after(async () => {
  await mock?.stop();
});

/** Every item of one of the SDK's pages, following `next` as the SDK does. */
async function all(page) {
  const items = [];
  for await (const item of await page) items.push(item);
  return items;
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

describe("node-auth0 ManagementClient: organizations over --tls", () => {
  test("create, get, getByName, update, list and delete an organization", async () => {
    // Act
    const created = await management.organizations.create({
      name: "globex",
      display_name: "Globex",
      metadata: { tier: "gold" },
    });
    const byId = await management.organizations.get(created.id);
    const byName = await management.organizations.getByName("globex");
    const updated = await management.organizations.update(created.id, {
      display_name: "Globex Corp",
      metadata: { tier: "platinum" },
    });
    const listed = await all(management.organizations.list());
    await management.organizations.delete(created.id);
    const gone = await thrown(() => management.organizations.get(created.id));

    // Assert
    assert.match(created.id, /^org_[A-Za-z0-9]{16}$/);
    assert.deepEqual(byId, created);
    assert.deepEqual(byName, created);
    assert.equal(updated.display_name, "Globex Corp");
    assert.deepEqual(updated.metadata, { tier: "platinum" });
    assert.deepEqual(
      listed.map((o) => o.name),
      ["acme", "globex"],
    );
    assert.equal(gone.statusCode, 404);
    assert.equal(gone.body.errorCode, "inexistent_organization");
  });

  test("a name that is taken is the SDK's 409 ConflictError", async () => {
    // Act
    const error = await thrown(() => management.organizations.create({ name: "acme" }));

    // Assert
    assert.equal(error.statusCode, 409);
    assert.equal(error.constructor.name, "ConflictError");
  });

  test("the SDK follows checkpoint pages (from/take) to the last organization", async () => {
    // Arrange
    const names = ["page-a", "page-b", "page-c"];
    const ids = [];
    for (const name of names) ids.push((await management.organizations.create({ name })).id);

    // Act
    const listed = await all(management.organizations.list({ take: 2 }));

    // Assert
    assert.deepEqual(
      listed.map((o) => o.name),
      ["acme", ...names],
    );
    for (const id of ids) await management.organizations.delete(id);
  });

  test("members are added, listed with their roles, and removed", async () => {
    // Arrange
    const acme = await management.organizations.getByName("acme");

    // Act
    await management.organizations.members.create(acme.id, { members: ["auth0|bob"] });
    const withBob = await all(management.organizations.members.list(acme.id, { fields: "user_id,email,roles" }));
    await management.organizations.members.delete(acme.id, { members: ["auth0|bob"] });
    const after = await all(management.organizations.members.list(acme.id));

    // Assert
    assert.deepEqual(
      withBob.map((m) => [m.user_id, m.email, m.roles]),
      [
        ["auth0|alice", "alice@example.com", []],
        ["auth0|bob", "bob@example.com", []],
      ],
    );
    assert.deepEqual(
      after.map((m) => m.user_id),
      ["auth0|alice"],
    );
  });

  test("a member's roles are assigned, listed and removed", async () => {
    // Arrange
    const acme = await management.organizations.getByName("acme");
    const role = await management.roles.create({ name: "org-admin", description: "Administers an organization" });

    // Act
    await management.organizations.members.roles.assign(acme.id, "auth0|alice", { roles: [role.id] });
    const assigned = await all(management.organizations.members.roles.list(acme.id, "auth0|alice"));
    const members = await all(management.organizations.members.list(acme.id, { fields: "roles" }));
    await management.organizations.members.roles.delete(acme.id, "auth0|alice", { roles: [role.id] });
    const removed = await all(management.organizations.members.roles.list(acme.id, "auth0|alice"));
    await management.roles.delete(role.id);

    // Assert
    assert.deepEqual(
      assigned.map((r) => [r.id, r.name]),
      [[role.id, "org-admin"]],
    );
    assert.deepEqual(members[0].roles, [{ id: role.id, name: "org-admin" }]);
    assert.deepEqual(removed, []);
  });

  test("a role for someone who is no member is the SDK's 404, and changes nothing", async () => {
    // Arrange
    const acme = await management.organizations.getByName("acme");
    const role = await management.roles.create({ name: "org-viewer" });

    // Act
    const error = await thrown(() =>
      management.organizations.members.roles.assign(acme.id, "auth0|bob", { roles: [role.id] }),
    );
    const members = await all(management.organizations.members.list(acme.id));
    await management.roles.delete(role.id);

    // Assert
    assert.equal(error.statusCode, 404);
    assert.equal(error.body.errorCode, "inexistent_member");
    assert.deepEqual(
      members.map((m) => m.user_id),
      ["auth0|alice"],
    );
  });
});
