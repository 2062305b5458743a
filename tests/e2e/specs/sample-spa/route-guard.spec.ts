import { expect, expectLoginForm, test } from "./fixtures";

// Journey 1: the route guard (withAuthenticationRequired) sends an anonymous visitor to log in.

test("an anonymous visit to /external-api is redirected to the mock's login page", async ({ page }) => {
  // Act
  await page.goto("/external-api");

  // Assert: the SDK's /authorize redirect lands on the mock's login form, asking for the API.
  await expectLoginForm(page);
  const authorize = new URL(page.url());
  expect(authorize.origin).toBe("http://localhost:4000");
  expect(authorize.pathname).toBe("/u/login");
});
