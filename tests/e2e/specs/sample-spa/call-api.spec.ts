import { ALICE, BOB, expect, logInThroughGuardedPage, test } from "./fixtures";

// Journeys 2 and 3: a logged-in user calls sample-api through the External API page.

test("alice logs in, lands back on /external-api and both API calls succeed", async ({ page }) => {
  // Arrange: the guard sends her to the login page and back to the page she asked for.
  await logInThroughGuardedPage(page, ALICE.email, "/external-api");

  // Act
  await page.getByTestId("ping-api").click();

  // Assert
  await expect(page.getByTestId("api-result")).toContainText("Your access token was successfully validated!");
  await expect(page.getByTestId("api-error")).toHaveCount(0);

  // Act: alice has read:messages.
  await page.getByTestId("ping-scoped-api").click();

  // Assert
  await expect(page.getByTestId("api-result")).toContainText("Hello from a private endpoint!");
  await expect(page.getByTestId("api-error")).toHaveCount(0);
});

test("bob, without read:messages, is refused the scoped API with a visible 403", async ({ page }) => {
  // Arrange
  await logInThroughGuardedPage(page, BOB.email, "/external-api");

  // Act
  await page.getByTestId("ping-scoped-api").click();

  // Assert: the API's answer is shown, not swallowed.
  const error = page.getByTestId("api-error");
  await expect(error).toContainText("403");
  await expect(error).toContainText("insufficient_scope");
  await expect(page.getByTestId("api-result")).toHaveCount(0);

  // Act: his token is still good for the unscoped route.
  await page.getByTestId("ping-api").click();

  // Assert
  await expect(page.getByTestId("api-result")).toContainText("Your access token was successfully validated!");
});
