// @auth0/nextjs-auth0 v4 with `pushedAuthorizationRequests: true` (RFC 9126) against the mock
// binary, for a client the mock requires to push (`require_pushed_authorization_requests`).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { Browser } from "./harness/browser.mjs";
import { CLIENT_ID, startNextjsAuth0 } from "./harness/nextjs.mjs";

let app;
let idp;
before(async () => {
  app = await startNextjsAuth0({
    client: "require_pushed_authorization_requests = true",
    options: { pushedAuthorizationRequests: true },
  });
  idp = app.idp;
});
after(() => app?.stop());

test("/auth/login pushes the request and sends the browser to /authorize with only client_id and request_uri", async () => {
  const { requests: earlier } = await idp.control.get("requests");

  const res = await new Browser().fetch(`${app.origin}/auth/login`);

  assert.equal(res.status, 307);
  const authorize = new URL(res.headers.get("location"));
  assert.equal(`${authorize.origin}${authorize.pathname}`, `${idp.origin}/authorize`);
  assert.deepEqual([...authorize.searchParams.keys()].sort(), ["client_id", "request_uri"]);
  assert.equal(authorize.searchParams.get("client_id"), CLIENT_ID);
  assert.match(authorize.searchParams.get("request_uri"), /^urn:ietf:params:oauth:request_uri:/);
  const { requests } = await idp.control.get("requests");
  const pushed = requests.slice(earlier.length).filter((r) => r.method === "POST" && r.path === "/oauth/par");
  assert.deepEqual(
    pushed.map((r) => [r.status, r.client_id]),
    [[201, CLIENT_ID]],
  );
});

test("a login through a pushed request ends in an app session with the API's access token", async () => {
  const browser = await app.signedIn();

  const session = await app.sessionOf(browser);

  assert.equal(session.user.email, "alice@example.com");
  assert.equal(session.tokenSet.audience, "https://sample-api");
  assert.ok(session.tokenSet.refreshToken);
});
