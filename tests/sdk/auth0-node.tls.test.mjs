// node-auth0 (the `auth0` package) `AuthenticationClient` against `mock-idp --tls`, with no
// proxy: the SDK builds `https://<domain>` itself, so `domain` is the bare `localhost:<port>`
// and Node trusts the mock's local CA through NODE_EXTRA_CA_CERTS.
//
// auth0 7.x ships `AuthenticationClient` under `auth0/legacy` (its main entry point is the
// Management API only); that is the class these tests drive, unchanged.
//
// Node reads NODE_EXTRA_CA_CERTS only when a process starts, and the CA is made when the mock
// first starts, so each scenario runs the SDK in a child `node` started with the variable.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { startMock } from "./harness/mock.mjs";
import { runModule } from "./harness/child.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));

// A confidential regular web app: node-auth0 authenticates every grant with a secret.
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
 * Runs `body` (the inside of an async function with `AuthenticationClient`, `domain` and
 * `control` in scope) in a child node that trusts the mock's CA, and resolves with what it
 * returned, or with `{ thrown }` if it threw.
 */
function inChild(body) {
  const script = `
    import { AuthenticationClient } from "auth0/legacy";
    const domain = process.env.AUTH0_DOMAIN;
    const control = async (method, route, json) => {
      const res = await fetch("https://" + domain + "/_mock/" + route, {
        method,
        headers: { "x-mock-idp": "1", "content-type": "application/json" },
        body: json === undefined ? undefined : JSON.stringify(json),
      });
      const text = await res.text();
      return text ? JSON.parse(text) : null;
    };
    try {
      const result = await (async () => { ${body} })();
      process.stdout.write(JSON.stringify({ result }));
    } catch (e) {
      process.stdout.write(JSON.stringify({ thrown: { name: e.name, message: e.message, cause: String(e.cause ?? "") } }));
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

const passwordLogin = `
  const auth = new AuthenticationClient({ domain, clientId: "node-backend", clientSecret: "node-backend-secret" });
  const { data } = await auth.oauth.passwordGrant({
    username: "alice@example.com",
    password: "password",
    realm: "Username-Password-Authentication",
    scope: "openid profile email offline_access",
    audience: "https://sample-api",
  });
`;

describe("node-auth0 AuthenticationClient over --tls, no proxy", () => {
  test("the mock's issuer is https://localhost:<port>/, the domain the SDK builds on", () => {
    assert.match(mock.issuer, /^https:\/\/localhost:\d+\/$/);
    assert.equal(`https://${mock.host}/`, mock.issuer);
    assert.match(mock.stderr(), /NODE_EXTRA_CA_CERTS=\S+ca\.pem/);
  });

  test("client credentials: an access token for the API, issued by the https issuer", async () => {
    // Act
    const out = await inChild(`
      const auth = new AuthenticationClient({ domain, clientId: "sample-m2m", clientSecret: "sample-m2m-secret" });
      const { data } = await auth.oauth.clientCredentialsGrant({ audience: "https://sample-api" });
      return data;
    `);

    // Assert
    assert.equal(out.thrown, undefined, JSON.stringify(out.thrown));
    assert.equal(out.result.token_type, "Bearer");
    const token = claims(out.result.access_token);
    assert.equal(token.iss, mock.issuer);
    assert.equal(token.aud, "https://sample-api");
    assert.equal(token.gty, "client-credentials");
  });

  test("password realm grant: the SDK validates the ID token against the JWKS over TLS", async () => {
    // Act
    const out = await inChild(`
      await control("DELETE", "requests");
      ${passwordLogin}
      const { requests } = await control("GET", "requests");
      return { data, endpoints: requests.map((r) => r.endpoint) };
    `);

    // Assert
    assert.equal(out.thrown, undefined, JSON.stringify(out.thrown));
    const id = claims(out.result.data.id_token);
    assert.equal(id.iss, mock.issuer);
    assert.equal(id.aud, "node-backend");
    assert.equal(id.email, "alice@example.com");
    assert.ok(out.result.data.refresh_token, "offline_access gives a refresh token");
    assert.ok(out.result.endpoints.includes("jwks"), `the SDK fetched the JWKS: ${out.result.endpoints}`);
  });

  test("refresh token grant: new tokens, and a new ID token the SDK accepts", async () => {
    // Act
    const out = await inChild(`
      ${passwordLogin}
      const refreshed = await auth.oauth.refreshTokenGrant({ refresh_token: data.refresh_token });
      return { first: data, refreshed: refreshed.data };
    `);

    // Assert
    assert.equal(out.thrown, undefined, JSON.stringify(out.thrown));
    const { first, refreshed } = out.result;
    assert.notEqual(refreshed.access_token, first.access_token);
    assert.equal(claims(refreshed.access_token).sub, claims(first.access_token).sub);
    assert.equal(claims(refreshed.id_token).sub, "auth0|alice");
  });

  test("an ID token that expired by the mock's clock is refused by the SDK, not by the mock", async () => {
    // Act: the mock's clock a day back, so the ID token it signs is already expired.
    const out = await inChild(`
      await control("POST", "clock", { advance_secs: -86400 });
      try {
        ${passwordLogin}
        return data;
      } finally {
        await control("POST", "clock", { advance_secs: 86400 });
      }
    `);

    // Assert
    assert.equal(out.result, undefined);
    assert.match(out.thrown.message, /Expiration Time \(exp\) claim error/);
  });

  test("without the CA, Node refuses the mock's certificate", async () => {
    // Arrange: a child with no NODE_EXTRA_CA_CERTS.
    const child = spawn(
      process.execPath,
      ["--input-type=module", "-e", `
        import { AuthenticationClient } from "auth0/legacy";
        const auth = new AuthenticationClient({ domain: process.env.AUTH0_DOMAIN, clientId: "sample-m2m", clientSecret: "sample-m2m-secret" });
        try { await auth.oauth.clientCredentialsGrant({ audience: "https://sample-api" }); console.log("accepted"); }
        catch (e) {
          // The TLS error sits a few causes deep (the SDK's error, fetch's, the socket's).
          const chain = [];
          for (let c = e; c; c = c.cause) chain.push(c.code ?? c.message);
          console.log(chain.join(" <- "));
        }
      `],
      { cwd: here, env: { ...process.env, AUTH0_DOMAIN: mock.host, NODE_EXTRA_CA_CERTS: "" }, stdio: ["ignore", "pipe", "inherit"] },
    );
    let stdout = "";
    child.stdout.setEncoding("utf8").on("data", (c) => (stdout += c));

    // Act
    await new Promise((resolve) => child.once("exit", resolve));

    // Assert
    assert.doesNotMatch(stdout, /accepted/);
    assert.match(stdout, /UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED|unable to verify|issuer certificate/i);
  });
});
