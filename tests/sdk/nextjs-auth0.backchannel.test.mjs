// @auth0/nextjs-auth0 v4's back-channel logout (/auth/backchannel-logout) against the mock
// binary: when a session ends at the mock, the mock POSTs a logout_token to the app, and the
// SDK verifies it and deletes the app's sessions for its `sid`. The SDK needs a session store
// for that (a cookie cannot be deleted from the server), so the app keeps its sessions in
// memory, as it would in Redis.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { CLIENT_ID, startNextjsAuth0 } from "./harness/nextjs.mjs";

/** The SDK's `SessionDataStore` in a Map; `logouts` lists the logout_tokens the SDK accepted. */
class MemorySessionStore {
  sessions = new Map();
  logouts = [];

  async get(id) {
    return this.sessions.get(id) ?? null;
  }
  async set(id, session) {
    this.sessions.set(id, session);
  }
  async delete(id) {
    this.sessions.delete(id);
  }
  async deleteByLogoutToken({ sid, sub }) {
    this.logouts.push({ sid, sub });
    for (const [id, session] of this.sessions) {
      if (sid ? session.internal.sid === sid : session.user.sub === sub) this.sessions.delete(id);
    }
  }
}

const store = new MemorySessionStore();
let app;
let idp;
before(async () => {
  app = await startNextjsAuth0({
    client: `backchannel_logout_urls = ["\${app}/auth/backchannel-logout"]`,
    options: { sessionStore: store },
  });
  idp = app.idp;
});
after(() => app?.stop());

/** Ends the mock's session `sid` and waits, without sleeping, until its deliveries finished. */
async function endAtTheMock(sid) {
  await idp.control.delete(`sessions/${sid}`);
  const { backchannel_logouts: sent } = await idp.control.get("backchannel-logouts?wait=true");
  return sent.filter((logout) => logout.sid === sid);
}

test("ending the mock's session through the control API ends the app's session for it", async () => {
  const browser = await app.signedIn();
  const { internal, user } = await app.sessionOf(browser);

  const sent = await endAtTheMock(internal.sid);

  assert.deepEqual(
    sent.map(({ client_id, url, outcome }) => ({ client_id, url, outcome })),
    [
      {
        client_id: CLIENT_ID,
        url: `${app.origin}/auth/backchannel-logout`,
        outcome: { result: "accepted", status: 204 },
      },
    ],
  );
  assert.deepEqual(store.logouts.at(-1), { sid: internal.sid, sub: user.sub }, "the SDK verified the logout_token");
  assert.equal(await app.sessionOf(browser), null);
  assert.equal((await browser.navigate(`${app.origin}/`)).body, "signed out");
});

test("a back-channel logout ends only the session it names", async () => {
  const ending = await app.signedIn();
  const staying = await app.signedIn();
  const { sid } = (await app.sessionOf(ending)).internal;

  await endAtTheMock(sid);

  assert.equal(await app.sessionOf(ending), null);
  assert.equal((await app.sessionOf(staying))?.user.email, "alice@example.com");
});

test("/auth/logout at the app ends the mock's session, whose back-channel logout the app accepts", async () => {
  const browser = await app.signedIn();
  const { sid } = (await app.sessionOf(browser)).internal;

  const page = await browser.navigate(`${app.origin}/auth/logout`);
  const { backchannel_logouts: sent } = await idp.control.get("backchannel-logouts?wait=true");

  assert.equal(page.body, "signed out");
  assert.deepEqual(
    sent.filter((logout) => logout.sid === sid).map((logout) => logout.outcome),
    [{ result: "accepted", status: 204 }],
  );
});
