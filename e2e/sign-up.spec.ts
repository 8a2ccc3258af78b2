import { expect, test } from "@playwright/test";

const PASSWORD = "correct-horse-battery";

test("sign up, sign out, sign in, and see the wrong-password error", async ({ page }) => {
  const email = `e2e-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.com`;

  await page.goto("/");
  await expect(page).toHaveURL(/\/sign-in$/);
  await expect(page.getByText("Sandbox: GitHub and Fly.io are emulated.")).toBeVisible();
  await page.getByRole("link", { name: "Create an account" }).click();

  await page.getByLabel("Name").fill("Edsger Dijkstra");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Create account" }).click();

  await expect(page.getByRole("heading", { name: "Projects", exact: true })).toBeVisible();
  await expect(page.getByRole("heading", { name: "No projects yet" })).toBeVisible();
  await expect(page.getByRole("combobox", { name: "Organization" })).toHaveValue(/.+/);
  await expect(page.getByText("Edsger Dijkstra's projects").first()).toBeAttached();

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/sign-in$/);

  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill("not-my-password");
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page.getByRole("alert")).toHaveText("Invalid email or password");
  await expect(page).toHaveURL(/\/sign-in$/);

  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page.getByRole("heading", { name: "Projects", exact: true })).toBeVisible();

  // The session survives a reload: it lives in an HTTP-only cookie the page cannot read.
  await page.reload();
  await expect(page.getByRole("heading", { name: "Projects", exact: true })).toBeVisible();
  expect(await page.evaluate(() => document.cookie)).not.toContain("session_token");
});

test("a signed-out visitor is sent to sign in, and unknown pages say so", async ({ page }) => {
  await page.goto("/projects/some/deep/link");
  await expect(page).toHaveURL(/\/sign-in$/);
});

test("the built dashboard loads without violating its Content Security Policy", async ({ page }) => {
  const violations: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error" && /Content Security Policy/i.test(message.text()))
      violations.push(message.text());
  });
  await page.goto("/sign-in");
  await expect(page.getByRole("heading", { name: "Sign in" })).toBeVisible();
  expect(violations).toEqual([]);
});
