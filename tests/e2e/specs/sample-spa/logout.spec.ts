import { ALICE, SPA, expect, expectLoginForm, logInThroughGuardedPage, test } from "./fixtures";

// Journey 5: logging out ends the mock's session too, so the next visit asks to log in again.

test("after logging out, /external-api asks to log in again instead of logging in silently", async ({
  page,
  idp,
}) => {
  // Arrange
  await logInThroughGuardedPage(page, ALICE.email, "/external-api");
  expect(await idp.sessions()).toHaveLength(1);

  // Act: the SDK goes to the mock's /v2/logout, which returns to the SPA's origin.
  await page.getByTestId("logout-button").click();

  // Assert: back on the SPA, logged out, and the mock's session is gone.
  await expect(page).toHaveURL(`${SPA}/`);
  await expect(page.getByTestId("login-button")).toBeVisible();
  await expect(page.getByTestId("logout-button")).toHaveCount(0);
  await expect(page.getByTestId("nav-external-api")).toHaveCount(0);
  expect(await idp.sessions()).toHaveLength(0);

  // Act
  await page.goto("/external-api");

  // Assert: the guard sends the visitor to the login form; no session let it through silently.
  await expectLoginForm(page);
});
