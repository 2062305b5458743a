import { expect, test } from "@playwright/test";

// Needs no server: proves the configured system Chromium starts and renders.
test("the system Chromium launches and renders a page", async ({ page }) => {
  // Arrange
  await page.setContent(`<button data-testid="b" onclick="this.textContent='clicked'">click me</button>`);

  // Act
  await page.getByTestId("b").click();

  // Assert
  await expect(page.getByTestId("b")).toHaveText("clicked");
});
