import { test as base, expect, type APIRequestContext, type Page } from "@playwright/test";

/** mock-idp, as the browser sees it. Always `localhost`: `127.0.0.1` would make its cookie cross-site. */
export const IDP = "http://localhost:4000";
/** The built sample-spa (`vite preview`), which proxies `/api` to sample-api on :3001. */
export const SPA = "http://localhost:3000";

export const ALICE = { email: "alice@example.com", name: "Alice Example" } as const; // has read:messages
export const BOB = { email: "bob@example.com", name: "Bob Example" } as const; // has no permissions

/** A fault for `POST /_mock/faults` (see the top-level README's control API table). */
export interface Fault {
  endpoint: "discovery" | "jwks" | "authorize" | "login" | "token" | "userinfo" | "logout" | "revoke" | "health";
  status?: number;
  times?: number;
  delay_ms?: number;
  body?: string;
  content_type?: string;
}

/** Marks a bodyless POST or DELETE as not sent by a web page: mock-idp refuses it otherwise. */
const CONTROL = { headers: { "X-Mock-Idp": "1" } };

/** mock-idp's control API (`/_mock/*`). */
export class MockIdp {
  constructor(private readonly request: APIRequestContext) {}

  /** Back to the starting state: sessions, grants, journal, faults, keys, clock. */
  async reset(): Promise<void> {
    expect((await this.request.post(`${IDP}/_mock/reset`, CONTROL)).ok()).toBe(true);
    await this.clearFaults();
  }

  async fault(fault: Fault): Promise<void> {
    expect((await this.request.post(`${IDP}/_mock/faults`, { data: fault })).ok()).toBe(true);
  }

  async clearFaults(): Promise<void> {
    expect((await this.request.delete(`${IDP}/_mock/faults`, CONTROL)).ok()).toBe(true);
  }

  /** The mock's live login sessions (one per browser that logged in and has not logged out). */
  async sessions(): Promise<unknown[]> {
    const response = await this.request.get(`${IDP}/_mock/sessions`);
    expect(response.ok()).toBe(true);
    return (await response.json()).sessions;
  }
}

/**
 * Every test gets the mock in its starting state (and leaves no fault behind), plus a fresh
 * browser context, which Playwright gives each test anyway: no cookies, no SDK cache.
 */
export const test = base.extend<{ idp: MockIdp }>({
  idp: [
    async ({ request }, use) => {
      const idp = new MockIdp(request);
      await idp.reset();
      await use(idp);
      await idp.clearFaults();
    },
    { auto: true },
  ],
});

export { expect };

/** The mock's Universal-Login-style page, reached through the SDK's `/authorize` redirect. */
export const LOGIN_PAGE = /^http:\/\/localhost:4000\/u\/login\?/;

/** Asserts the mock's login form is showing. */
export async function expectLoginForm(page: Page): Promise<void> {
  await expect(page).toHaveURL(LOGIN_PAGE);
  await expect(page.getByLabel("Email")).toBeVisible();
  await expect(page.getByLabel("Password")).toBeVisible();
  await expect(page.getByRole("button", { name: "Continue" })).toBeVisible();
}

/** On the mock's login page: type the credentials and press Continue. */
export async function submitLoginForm(page: Page, email: string, password = "password"): Promise<void> {
  await expectLoginForm(page);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Continue" }).click();
}

/**
 * Logs in the way a user would: open a protected page, get sent to the mock's login page by the
 * route guard, fill the form, and come back to that page, logged in.
 */
export async function logInThroughGuardedPage(page: Page, email: string, path = "/external-api"): Promise<void> {
  await page.goto(path);
  await submitLoginForm(page, email);
  await expect(page).toHaveURL(`${SPA}${path}`);
  await expect(page.getByTestId("logout-button")).toBeVisible();
}
