import { ALICE, SPA, expect, logInThroughGuardedPage, submitLoginForm, test } from "./fixtures";

// Journey 6: when the IdP or the API fails, the user sees an error, not a blank page or a spinner.

test("when the mock's token endpoint fails during login, the SPA shows the authentication error", async ({
  page,
  idp,
}) => {
  // Arrange: start logging in from the home page, then break the code exchange.
  await page.goto("/");
  await page.getByTestId("login-button").click();
  await idp.fault({ endpoint: "token", status: 503 });

  // Act: the login form succeeds, the SDK's POST /oauth/token does not.
  await submitLoginForm(page, ALICE.email);

  // Assert
  await expect(page).toHaveURL(new RegExp(`^${SPA}/\\?code=`));
  await expect(page.getByTestId("auth-error")).toBeVisible();
  await expect(page.getByTestId("auth-error")).toContainText("Authentication error");
  await expect(page.getByTestId("auth-error")).toContainText("Injected fault"); // the mock's 503 body
  await expect(page.getByTestId("loading")).toHaveCount(0);
  await expect(page.getByTestId("login-button")).toBeVisible();
  await expect(page.getByTestId("logout-button")).toHaveCount(0);
});

test("when sample-api cannot be reached, the External API page shows the network error", async ({ page }) => {
  // Arrange: logged in; then the browser can no longer reach /api/external.
  await logInThroughGuardedPage(page, ALICE.email, "/external-api");
  await page.route("**/api/external", (route) => route.abort("connectionrefused"));

  // Act
  await page.getByTestId("ping-api").click();

  // Assert
  const error = page.getByTestId("api-error");
  await expect(error).toContainText("Could not reach the API");
  await expect(page.getByTestId("api-result")).toHaveCount(0);
  // The buttons are usable again: the call is over, not pending forever.
  await expect(page.getByTestId("ping-api")).toBeEnabled();
});
