import { defineConfig, devices } from "@playwright/test";

/**
 * End-to-end tests run against the system Chromium (Debian's `chromium` package);
 * Playwright's own browser downloads are never used (install with
 * PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 and never run `playwright install`).
 *
 * The servers (mock-idp :4000, sample-api :3001, sample-spa :3000) are not started
 * here yet; `webServer` entries get added when they are wired in.
 */
const chromiumArgs = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

export default defineConfig({
  testDir: "./specs",
  forbidOnly: !!process.env.CI,
  retries: 0,
  // The specs share one mock-idp and its session cookies; run them one at a time.
  workers: 1,
  fullyParallel: false,
  reporter: "list",
  outputDir: "test-results",
  use: {
    baseURL: process.env.SPA_URL ?? "http://localhost:3000",
    headless: true,
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: chromiumArgs,
    },
  },
  projects: [
    {
      name: "chromium",
      use: { ...devices["Desktop Chrome"] },
    },
  ],
});
