import { expect, test, type Page } from "@playwright/test";

// The real @auth0/auth0-spa-js 2.28.3 (UMD bundle, unchanged) against mock-idp on :4000, from
// a static page on :3000. Run with `npx playwright test -c playwright.spa-js.config.ts`.

const IDP = "http://localhost:4000";

type TokenResult = { token?: string; error?: string; message?: string };

declare global {
  interface Window {
    fixtureReady?: boolean;
    fixture: {
      login(options?: Record<string, unknown>): Promise<void>;
      callback(): Promise<unknown>;
      callbackError(): Promise<TokenResult | undefined>;
      user(): Promise<Record<string, unknown> | undefined>;
      token(options?: Record<string, unknown>): Promise<TokenResult>;
      logout(): Promise<void>;
    };
  }
}

async function openApp(page: Page, path = "/") {
  await page.goto(path);
  await page.waitForFunction(() => window.fixtureReady === true);
}

/** loginWithRedirect (with `options`) → the mock's login form → back at the app with `back`. */
async function submitTheForm(page: Page, email: string, back: RegExp, options?: Record<string, unknown>) {
  await page.evaluate((o) => window.fixture.login(o), options);
  await page.waitForURL(`${IDP}/u/login?**`);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill("password");
  await page.getByRole("button", { name: "Continue" }).click();
  await page.waitForURL(back);
  await page.waitForFunction(() => window.fixtureReady === true);
}

/** loginWithRedirect → the mock's login form → back at the app with ?code → handleRedirectCallback. */
async function logInThroughTheForm(page: Page, email: string, options?: Record<string, unknown>) {
  await submitTheForm(page, email, /^http:\/\/localhost:3000\/\?code=/, options);
  await page.evaluate(() => window.fixture.callback());
}

/** The default tenant's organization `acme` (alice is its one member): `org_` and 16 characters. */
async function acmeId(page: Page): Promise<string> {
  const m2m = await page.request.post(`${IDP}/oauth/token`, {
    form: {
      grant_type: "client_credentials",
      client_id: "sample-m2m",
      client_secret: "sample-m2m-secret",
      audience: `${IDP}/api/v2/`,
    },
  });
  const { access_token } = await m2m.json();
  const acme = await page.request.get(`${IDP}/api/v2/organizations/name/acme`, {
    headers: { authorization: `Bearer ${access_token}` },
  });
  return (await acme.json()).id;
}

type Recorded = { endpoint: string; status: number; grant_type?: string; path: string };

async function requests(page: Page): Promise<Recorded[]> {
  const response = await page.request.get(`${IDP}/_mock/requests`);
  return (await response.json()).requests;
}

test.beforeEach(async ({ request }) => {
  // One mock serves every test: start each from its initial state (sessions, journal, grants).
  expect((await request.post(`${IDP}/_mock/reset`, { headers: { "X-Mock-Idp": "1" } })).ok()).toBe(true);
});

test("logs in with a redirect, gets tokens silently from the cache and the iframe, and logs out", async ({
  page,
}) => {
  // Arrange
  await openApp(page);

  // Act: log in through the mock's form.
  await logInThroughTheForm(page, "alice@example.com");
  const user = await page.evaluate(() => window.fixture.user());

  // Assert
  expect(user).toMatchObject({ sub: "auth0|alice", email: "alice@example.com", name: "Alice Example" });

  // Act: the token from the code exchange is cached.
  const tokenCallsBefore = (await requests(page)).filter((r) => r.endpoint === "token").length;
  const cached = await page.evaluate(() => window.fixture.token());
  const tokenCallsAfter = (await requests(page)).filter((r) => r.endpoint === "token").length;

  // Assert
  expect(cached.error).toBeUndefined();
  expect(cached.token?.split(".")).toHaveLength(3);
  expect(tokenCallsAfter).toBe(tokenCallsBefore);

  // Act: a reload empties the memory cache; the hidden iframe (prompt=none, web_message) uses
  // the mock's session cookie.
  await openApp(page);
  const silent = await page.evaluate(() => window.fixture.token());

  // Assert
  expect(silent.error).toBeUndefined();
  expect(silent.token).toBeTruthy();
  expect(silent.token).not.toBe(cached.token);
  const afterIframe = await requests(page);
  expect(afterIframe.filter((r) => r.endpoint === "authorize" && r.status === 200)).toHaveLength(1);
  expect(afterIframe.filter((r) => r.grant_type === "authorization_code" && r.status === 200)).toHaveLength(2);

  // Act: log out at the mock and come back.
  await page.evaluate(() => window.fixture.logout());
  await page.waitForURL("http://localhost:3000/");
  await page.waitForFunction(() => window.fixtureReady === true);
  const afterLogout = await page.evaluate(() => window.fixture.token());

  // Assert
  expect(afterLogout.error).toBe("login_required");
  expect(await page.evaluate(() => window.fixture.user())).toBeUndefined();
  const sessions = await (await page.request.get(`${IDP}/_mock/sessions`)).json();
  expect(sessions.sessions).toHaveLength(0);
});

test("with useRefreshTokens, gets new tokens with rotated refresh tokens", async ({ page }) => {
  // Arrange
  await openApp(page, "/?mode=rt");
  await expect(page.getByTestId("mode")).toHaveText("rt");
  await logInThroughTheForm(page, "bob@example.com");

  // Act: bypass the cache twice; each refresh must use the token the previous one rotated to,
  // or the mock's reuse detection would refuse it.
  const first = await page.evaluate(() => window.fixture.token({ cacheMode: "off" }));
  const second = await page.evaluate(() => window.fixture.token({ cacheMode: "off" }));

  // Assert
  expect(first.error).toBeUndefined();
  expect(second.error).toBeUndefined();
  expect(second.token).not.toBe(first.token);
  const refreshes = (await requests(page)).filter((r) => r.grant_type === "refresh_token");
  expect(refreshes.map((r) => r.status)).toEqual([200, 200]);
  expect(await page.evaluate(() => window.fixture.user())).toMatchObject({ sub: "auth0|bob" });
});

test("the login page refuses a wrong password and the SDK gets no code", async ({ page }) => {
  // Arrange
  await openApp(page);
  await page.evaluate(() => window.fixture.login());
  await page.waitForURL(`${IDP}/u/login?**`);

  // Act
  await page.getByLabel("Email").fill("alice@example.com");
  await page.getByLabel("Password").fill("wrong");
  await page.getByRole("button", { name: "Continue" }).click();

  // Assert
  await expect(page.getByRole("alert")).toHaveText("Wrong email or password.");
  expect(page.url()).toContain(`${IDP}/u/login`);
});

test("without a session, silent authentication fails fast with login_required", async ({ page }) => {
  // Arrange
  await openApp(page);

  // Act
  const started = Date.now();
  const result = await page.evaluate(() => window.fixture.token());

  // Assert: an error message from the iframe, not the SDK's timeout.
  expect(result.error).toBe("login_required");
  expect(Date.now() - started).toBeLessThan(5_000);
});

test("logs a member in through an organization: the SDK's org_id check passes and the user carries it", async ({
  page,
}) => {
  // Arrange
  await openApp(page);
  const organization = await acmeId(page);

  // Act: handleRedirectCallback throws unless the ID token's org_id is the one asked for.
  await logInThroughTheForm(page, "alice@example.com", { authorizationParams: { organization } });
  const user = await page.evaluate(() => window.fixture.user());
  const token = await page.evaluate(() => window.fixture.token());

  // Assert
  expect(user).toMatchObject({ sub: "auth0|alice", org_id: organization });
  const access = JSON.parse(Buffer.from(token.token!.split(".")[1], "base64url").toString());
  expect(access.org_id).toBe(organization);
});

test("refuses a non-member of the organization with Auth0's access_denied, and the SDK gets no tokens", async ({
  page,
}) => {
  // Arrange
  await openApp(page);
  const organization = await acmeId(page);

  // Act
  await submitTheForm(page, "bob@example.com", /^http:\/\/localhost:3000\/\?error=/, {
    authorizationParams: { organization },
  });
  const refused = await page.evaluate(() => window.fixture.callbackError());

  // Assert
  expect(refused).toEqual({
    error: "access_denied",
    message: `user auth0|bob is not part of the ${organization} organization`,
  });
  expect(await page.evaluate(() => window.fixture.user())).toBeUndefined();
  expect((await requests(page)).filter((r) => r.grant_type === "authorization_code")).toHaveLength(0);
});

/** A Management API token of `sample-m2m`, which the default tenant grants the Actions scopes. */
async function managementToken(page: Page): Promise<string> {
  const m2m = await page.request.post(`${IDP}/oauth/token`, {
    form: {
      grant_type: "client_credentials",
      client_id: "sample-m2m",
      client_secret: "sample-m2m-secret",
      audience: `${IDP}/api/v2/`,
    },
  });
  return (await m2m.json()).access_token;
}

/** Creates, deploys and binds a post-login Action through the Management API, as a team's pipeline does. */
async function deployPostLogin(page: Page, name: string, code: string) {
  const headers = { authorization: `Bearer ${await managementToken(page)}` };
  const created = await page.request.post(`${IDP}/api/v2/actions/actions`, {
    headers,
    data: { name, code, runtime: "node18", supported_triggers: [{ id: "post-login", version: "v3" }] },
  });
  expect(created.status()).toBe(201);
  const { id } = await created.json();
  expect((await page.request.post(`${IDP}/api/v2/actions/actions/${id}/deploy`, { headers })).ok()).toBe(true);
  const bound = await page.request.patch(`${IDP}/api/v2/actions/triggers/post-login/bindings`, {
    headers,
    data: { bindings: [{ ref: { type: "action_id", value: id }, display_name: name }] },
  });
  expect(bound.ok()).toBe(true);
}

test("a post-login Action deployed through the Management API puts its claims in the tokens the SDK gets", async ({
  page,
}) => {
  // Arrange: Auth0's "add a namespaced claim" Action, unchanged.
  await deployPostLogin(
    page,
    "plan-claim",
    `exports.onExecutePostLogin = async (event, api) => {
  const plan = event.user.app_metadata.plan || "free";
  api.idToken.setCustomClaim("https://sample-api/plan", plan);
  api.accessToken.setCustomClaim("https://sample-api/plan", plan);
};`,
  );
  await openApp(page);

  // Act
  await logInThroughTheForm(page, "alice@example.com");
  const user = await page.evaluate(() => window.fixture.user());
  const token = await page.evaluate(() => window.fixture.token());

  // Assert: getUser reads the ID token's claims; the access token the API would get has its own.
  expect(user).toMatchObject({ sub: "auth0|alice", "https://sample-api/plan": "free" });
  const access = JSON.parse(Buffer.from(token.token!.split(".")[1], "base64url").toString());
  expect(access["https://sample-api/plan"]).toBe("free");
});

test("a post-login Action that denies the user sends the SDK Auth0's access_denied with its reason", async ({
  page,
}) => {
  // Arrange
  await deployPostLogin(
    page,
    "alice-only",
    `exports.onExecutePostLogin = async (event, api) => {
  if (event.user.email !== "alice@example.com") api.access.deny("Only Alice may use this app.");
};`,
  );
  await openApp(page);

  // Act
  await submitTheForm(page, "bob@example.com", /^http:\/\/localhost:3000\/\?error=/);
  const refused = await page.evaluate(() => window.fixture.callbackError());

  // Assert
  expect(refused).toEqual({ error: "access_denied", message: "Only Alice may use this app." });
  expect(await page.evaluate(() => window.fixture.user())).toBeUndefined();
});
