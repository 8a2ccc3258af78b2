import { defineConfig, devices } from "@playwright/test";

const PORT = Number(process.env.E2E_PORT ?? 3100);
const BASE_URL = `http://localhost:${PORT}`;
/** Specs that sign in as the emulator's octocat and use the App installed on acme (see projects). */
const GITHUB_ACCOUNT_SPECS = ["connect-github.spec.ts", "project-env.spec.ts", "push-to-live.spec.ts"];

// End-to-end tests run the built app (npm run test:e2e builds it first) in sandbox mode with a fresh
// data directory, on the system's Chromium (no browser download is possible here).
export default defineConfig({
  testDir: "e2e",
  fullyParallel: true,
  forbidOnly: Boolean(process.env.CI),
  retries: process.env.CI ? 1 : 0,
  workers: 2,
  reporter: process.env.CI ? "list" : [["list"]],
  timeout: 30_000,
  use: {
    baseURL: BASE_URL,
    trace: "retain-on-failure",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
      ],
    },
  },
  projects: [
    {
      name: "chromium",
      use: { ...devices["Desktop Chrome"] },
      testIgnore: GITHUB_ACCOUNT_SPECS,
    },
    {
      // These specs share one emulated GitHub account (octocat, who signs in to one Hangar user) and its
      // single App installation on acme: they run one at a time, in file order, so connect-github
      // (which resets the emulator and expects no installation yet) comes first.
      name: "github-account",
      use: { ...devices["Desktop Chrome"] },
      testMatch: GITHUB_ACCOUNT_SPECS,
      workers: 1,
    },
  ],
  webServer: {
    // Exactly what `npm start` runs (in sandbox mode it also starts the GitHub and Fly emulators).
    command: "rm -rf .tmp/e2e && node_modules/.bin/tsx server/main.ts",
    url: `${BASE_URL}/readyz`,
    timeout: 120_000,
    reuseExistingServer: false,
    stdout: "ignore",
    stderr: "pipe",
    env: {
      PORT: String(PORT),
      PUBLIC_URL: BASE_URL,
      HANGAR_DATA_DIR: ".tmp/e2e",
      NODE_ENV: "production",
      LOG_LEVEL: "warn",
    },
  },
});
