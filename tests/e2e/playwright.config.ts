import { defineConfig, devices } from "@playwright/test";

/**
 * End-to-end tests run against the system Chromium (Debian's `chromium` package);
 * Playwright's own browser downloads are never used (install with
 * PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 and never run `playwright install`).
 *
 * This default config starts no servers: it runs the specs that need none (the browser smoke
 * test). The suites with servers of their own have their own configs, because both own
 * port 3000: playwright.spa-js.config.ts and playwright.sample-spa.config.ts; the inspector's
 * (playwright.inspector.config.ts) starts a mock of its own on :4010.
 */
/**
 * Whether a suite may use servers already listening on its ports (handy while editing specs).
 * Never in CI, and never under `cargo xtask test` (E2E_OWN_SERVERS=1): a demo or another
 * checkout's servers on :3000/:3001/:4000 would be tested instead of this code, so the run fails
 * with "http://localhost:3000 is already used" instead.
 */
export const reuseExistingServer = !process.env.CI && !process.env.E2E_OWN_SERVERS;

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
  // Specs with servers of their own run under their own configs.
  testIgnore: ["**/spa-js.spec.ts", "**/sample-spa/**", "**/inspector.spec.ts"],
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
