import { ALICE, IDP, SPA, expect, submitLoginForm, test } from "./fixtures";

// Journey 4: a reload keeps the user logged in through silent authentication.

test("after logging in, a reload keeps alice logged in through the mock's session cookie", async ({ page }) => {
  // Arrange: log in from the Log in button on the home page.
  await page.goto("/");
  await page.getByTestId("login-button").click();
  await submitLoginForm(page, ALICE.email);
  await expect(page).toHaveURL(`${SPA}/`);
  await expect(page.getByTestId("logout-button")).toBeVisible();

  // Act: a reload empties the SDK's in-memory cache; it asks the mock again in a hidden iframe.
  const silentAuthorize = page.waitForRequest(
    (r) => r.url().startsWith(`${IDP}/authorize?`) && new URL(r.url()).searchParams.get("prompt") === "none",
  );
  await page.reload();
  const request = await silentAuthorize;

  // Assert: no login page, still logged in.
  expect(new URL(request.url()).searchParams.get("response_mode")).toBe("web_message");
  await expect(page.getByTestId("logout-button")).toBeVisible();
  await expect(page.getByTestId("login-button")).toHaveCount(0);
  expect(page.url()).toBe(`${SPA}/`);

  // Act
  await page.getByTestId("nav-profile").click();

  // Assert: the profile comes from the ID token obtained silently.
  await expect(page).toHaveURL(`${SPA}/profile`);
  await expect(page.getByTestId("user-name")).toHaveText(ALICE.name);
  await expect(page.getByTestId("user-email")).toHaveText(ALICE.email);
  await expect(page.getByTestId("profile-json")).toContainText('"sub": "auth0|alice"');
});
