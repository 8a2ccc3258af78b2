// Getting the shared sandbox account ready: octocat signed in with the emulated GitHub, the App installed
// on acme and connected, and the emulated Fly.io token saved. Each step is skipped when an earlier spec
// already did it (these specs run one after the other; see playwright.config.ts).
import { type Page, expect } from "@playwright/test";

export type Sandbox = {
  github: { webUrl: string; controlUrl: string };
  fly: { token: string; apiUrl: string; controlUrl: string };
};

/** Signs in with the emulated GitHub as octocat. */
export async function signInWithGitHub(page: Page, sandbox: Sandbox) {
  await page.goto("/sign-in");
  await page.getByRole("button", { name: "Sign in with GitHub" }).click();
  await expect(page).toHaveURL(new RegExp(`^${sandbox.github.webUrl}/login/oauth/authorize`));
  await page.getByRole("button", { name: "Authorize" }).click();
  await expect(page.getByRole("heading", { name: "Projects", exact: true })).toBeVisible();
}

/** Installs the App on acme and connects it, unless an earlier spec already did. */
export async function ensureAcmeInstallation(page: Page) {
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "GitHub" }).click();
  const acme = page.getByRole("article", { name: /acme/ });
  await expect(acme.or(page.getByRole("heading", { name: "No GitHub installations yet" }))).toBeVisible();
  if (await acme.isVisible()) return;
  await page.getByRole("link", { name: "Connect GitHub" }).click();
  await page.getByRole("link", { name: "acme" }).click();
  // "Save" when the App is already installed on acme but not connected to this organization.
  await page.getByRole("button", { name: /^(Install|Save)$/ }).click();
  await expect(page.getByText("The GitHub installation is connected")).toBeVisible();
}

/** Saves the emulated Fly.io token in Settings, unless it is there already. */
export async function ensureFlyToken(page: Page, token: string) {
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Settings" }).click();
  const masked = page.getByTestId("fly-token-masked");
  const none = page.getByRole("heading", { name: "No Fly.io token yet" });
  await expect(masked.or(none)).toBeVisible();
  if (await masked.isVisible()) return;
  await page.getByLabel("Fly.io token", { exact: true }).fill(token);
  await page.getByRole("button", { name: "Save token" }).click();
  await expect(masked).toBeVisible();
}
