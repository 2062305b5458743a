import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { expect, test, type APIRequestContext, type Page } from "@playwright/test";
import { IDP } from "../playwright.inspector.config";

// The inspector page of a deterministic mock-idp on :4010, in Chromium. Run with
// `npx playwright test -c playwright.inspector.config.ts`. The last test writes the README's
// screenshots (docs/inspector/*.png), so they show the page as it is.

const API = "https://sample-api";
const SCREENSHOTS = fileURLToPath(new URL("../../../docs/inspector/", import.meta.url));
const MARK = { "X-Mock-Idp": "1" };

/** Console errors and uncaught exceptions, collected for the whole test. */
function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(message.text());
  });
  page.on("pageerror", (error) => errors.push(error.message));
  return errors;
}

async function clientCredentials(request: APIRequestContext): Promise<string> {
  const response = await request.post(`${IDP}/oauth/token`, {
    form: {
      grant_type: "client_credentials",
      client_id: "sample-m2m",
      client_secret: "sample-m2m-secret",
      audience: API,
    },
  });
  expect(response.ok()).toBe(true);
  return (await response.json()).access_token;
}

async function mint(request: APIRequestContext, body: Record<string, unknown>): Promise<string> {
  const response = await request.post(`${IDP}/_mock/tokens`, { data: body });
  expect(response.ok()).toBe(true);
  return (await response.json()).token;
}

async function jwksKids(request: APIRequestContext): Promise<string[]> {
  const jwks = await (await request.get(`${IDP}/.well-known/jwks.json`)).json();
  return jwks.keys.map((key: { kid: string }) => key.kid);
}

/** Waits until the page has fetched its live parts again (one poll), without sleeping. */
async function nextPoll(page: Page) {
  await page.waitForResponse((response) => response.url().includes("/_mock/?part=tenant"));
}

test.beforeEach(async ({ request }) => {
  // One mock serves every test: start each from its initial state.
  expect((await request.post(`${IDP}/_mock/reset`, { headers: MARK })).ok()).toBe(true);
});

test("the page loads with its four panels and no console errors", async ({ page }) => {
  // Arrange
  const errors = watchErrors(page);

  // Act
  const response = await page.goto("/_mock/");
  await nextPoll(page);
  await nextPoll(page);

  // Assert
  expect(response?.status()).toBe(200);
  expect(response?.headers()["content-security-policy"]).toContain("script-src 'self'");
  for (const name of ["Requests", "Tokens", "Tenant", "Explain"]) {
    await expect(page.getByRole("heading", { level: 2, name })).toBeVisible();
  }
  await expect(page.locator("#tenant-body")).toContainText("alice@example.com");
  expect(errors).toEqual([]);
});

test("a request made by the test appears without reloading, and the filter hides other endpoints", async ({
  page,
  request,
}) => {
  // Arrange
  const errors = watchErrors(page);
  await page.goto("/_mock/");
  const rows = page.locator("#requests-body tr");
  await expect(rows).toHaveCount(1); // the reset that started this test
  await expect(rows.nth(0)).toContainText("/_mock/reset");

  // Act
  expect((await request.get(`${IDP}/.well-known/jwks.json`)).ok()).toBe(true);
  await request.post(`${IDP}/oauth/token`, { form: { grant_type: "password", client_id: "nobody" } });

  // Assert: newest first, with the error code.
  await expect(rows).toHaveCount(3);
  await expect(rows.nth(0)).toContainText("/oauth/token");
  await expect(rows.nth(0)).toContainText("invalid_client");
  await expect(rows.nth(1)).toContainText("/.well-known/jwks.json");
  await page.locator("#endpoint-filter").selectOption("jwks");
  await expect(rows).toHaveCount(1);
  await expect(rows.nth(0)).toContainText("/.well-known/jwks.json");
  expect(errors).toEqual([]);
});

test("a token issued by the mock appears decoded, with who asked for it", async ({ page, request }) => {
  // Arrange
  await page.goto("/_mock/");

  // Act
  await clientCredentials(request);

  // Assert
  const card = page.locator("#token-1");
  await expect(card).toContainText("#1 access token");
  await expect(card).toContainText("client_credentials by sample-m2m");
  await expect(card).toContainText("expires in 1 d (2030-01-02T00:00:00Z) on the mock's clock");
  await expect(card.locator("pre").nth(1)).toContainText('"sub": "sample-m2m@clients"');
  await expect(card.locator("pre").nth(1)).toContainText('"aud": "https://sample-api"');
  await expect(page.locator("#requests-body tr").first().getByRole("link", { name: "#1" })).toBeVisible();
});

test("pasting a token for the wrong audience shows the aud check failing and the audience to ask for", async ({
  page,
  request,
}) => {
  // Arrange
  const errors = watchErrors(page);
  const token = await mint(request, { claims: { aud: "https://orders" } });
  await page.goto("/_mock/");

  // Act
  await page.getByLabel("Token", { exact: true }).fill(token);
  await page.locator("#explain-audience").fill(API);
  await page.locator("#explain-form").getByRole("button", { name: "Explain" }).click();

  // Assert
  const result = page.locator("#explain-result");
  await expect(result.locator(".verdict")).toContainText("Invalid");
  const aud = result.locator('li[data-check="aud"]');
  await expect(aud).toHaveAttribute("data-outcome", "failed");
  await expect(aud).toContainText("✗");
  await expect(aud).toContainText("https://orders, not the expected https://sample-api.");
  await expect(result.locator('li[data-check="signature"]')).toHaveAttribute("data-outcome", "passed");
  await expect(result.locator("ul.hints")).toContainText("ask for audience https://sample-api");
  expect(errors).toEqual([]);
});

test("the Explain button of a token explains it", async ({ page, request }) => {
  // Arrange: an ID token, which an API must not take as an access token.
  await mint(request, { kind: "id" });
  await page.goto("/_mock/");

  // Act
  await page.locator("#token-1").getByRole("button", { name: "Explain" }).click();

  // Assert
  const result = page.locator("#explain-result");
  await expect(result.locator('li[data-check="aud"]')).toHaveAttribute("data-outcome", "failed");
  await expect(result.locator("ul.hints")).toContainText("This is an ID token");
});

test("rotating keys and advancing the clock from the page change the JWKS and the clock", async ({
  page,
  request,
}) => {
  // Arrange
  const errors = watchErrors(page);
  await page.goto("/_mock/");
  const [before] = await jwksKids(request);
  const clockBefore = (await (await request.get(`${IDP}/_mock/clock`)).json()).now;

  // Act
  await page.getByRole("button", { name: "Rotate keys" }).click();
  await expect(page.locator("#status")).toContainText("Rotated");
  await page.getByRole("button", { name: "+1 h" }).click();
  await expect(page.locator("#status")).toContainText("2030-01-01T01:00:00.000Z");

  // Assert
  const kids = await jwksKids(request);
  expect(kids).toHaveLength(2);
  expect(kids[1]).toBe(before);
  await expect(page.locator("#keys")).toContainText(`${kids[0]}RS256signing`);
  const clock = (await (await request.get(`${IDP}/_mock/clock`)).json()).now;
  expect(clock).toBe(clockBefore + 3600);
  await expect(page.locator("#clock-now")).toHaveText("2030-01-01T01:00:00Z");

  // Act: retire, and a fault from the page.
  await page.getByRole("button", { name: "Retire old keys" }).click();
  await expect(page.locator("#status")).toContainText("Retired 1 key");
  await page.locator("#fault-endpoint").selectOption("jwks");
  await page.getByRole("button", { name: "Add fault" }).click();
  await expect(page.locator("#faults")).toContainText("jwks");

  // Assert
  expect((await request.get(`${IDP}/.well-known/jwks.json`)).status()).toBe(503);
  expect(await jwksKids(request)).toEqual([kids[0]]);
  await page.getByRole("button", { name: "Clear faults" }).click();
  await expect(page.locator("#tenant-body")).toContainText("None installed.");
  expect(errors).toEqual([]);
});

test("a claim holding a script stays text on the page and in the explanation", async ({ page, request }) => {
  // Arrange
  const errors = watchErrors(page);
  // No double quotes: the page shows claims as JSON, which would escape them.
  const hostile = "<script>window.pwned = 1</script><img src=x onerror=window.pwned=2>";
  const token = await mint(request, { claims: { name: hostile } });

  // Act
  await page.goto("/_mock/");
  await page.locator("#token-1").getByRole("button", { name: "Explain" }).click();
  await expect(page.locator("#explain-result .verdict")).toBeVisible();

  // Assert
  await expect(page.locator("#token-1 pre").nth(1)).toContainText(hostile);
  await expect(page.locator("#explain-result pre").nth(1)).toContainText(hostile);
  expect(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined();
  await expect(page.locator("#token-1 img, #explain-result img, #token-1 script")).toHaveCount(0);
  expect(token.length).toBeGreaterThan(0);
  expect(errors).toEqual([]);
});

test("writes the README's screenshots of each panel", async ({ page, request }) => {
  // Arrange: a little of everything, on the deterministic mock.
  mkdirSync(SCREENSHOTS, { recursive: true });
  await clientCredentials(request);
  await request.post(`${IDP}/oauth/token`, {
    form: { grant_type: "password", client_id: "sample-spa", username: "bob@example.com", password: "wrong" },
  });
  const idToken = await mint(request, { kind: "id" });
  await page.goto("/_mock/");
  await expect(page.locator("#requests-body tr")).toHaveCount(4); // and the reset

  // Act
  await page.getByLabel("Token", { exact: true }).fill(idToken);
  await page.locator("#explain-audience").fill(API);
  await page.locator("#explain-scopes").fill("read:messages");
  await page.locator("#explain-form").getByRole("button", { name: "Explain" }).click();
  await expect(page.locator("#explain-result ul.hints")).toBeVisible();

  // Assert: each panel renders, and is written where the README shows it.
  for (const panel of ["requests", "tokens", "tenant", "explain"]) {
    await page.locator(`#${panel}`).screenshot({ path: `${SCREENSHOTS}${panel}.png`, animations: "disabled" });
  }
});
