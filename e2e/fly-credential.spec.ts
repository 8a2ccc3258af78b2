import { expect, test } from "@playwright/test";

// In sandbox mode Hangar's own Fly emulator is seeded with a token for the "personal" organisation, and
// GET /api/sandbox shows it (it opens nothing but the emulator).
const E2E_FLY_ORG = "personal";

test("an admin adds the organization's Fly.io token, sees it masked, and removes it", async ({
  page,
  request,
}) => {
  const sandbox = (await (await request.get("/api/sandbox")).json()) as { fly: { token: string } };
  const E2E_FLY_TOKEN = sandbox.fly.token;
  const email = `fly-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.com`;
  await page.goto("/sign-up");
  await page.getByLabel("Name").fill("Grace Hopper");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill("correct-horse-battery");
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByRole("heading", { name: "Projects", exact: true })).toBeVisible();

  await page.getByRole("link", { name: "Settings" }).click();
  await expect(page.getByRole("heading", { name: "Organization settings" })).toBeVisible();
  await expect(page.getByRole("heading", { name: "No Fly.io token yet" })).toBeVisible();

  const tokenInput = page.getByLabel("Fly.io token", { exact: true });
  await expect(tokenInput).toHaveAttribute("type", "password");

  // Fly refuses it: the field shows what Fly said, and nothing is stored.
  await tokenInput.fill("fo1_not-a-real-token");
  await page.getByRole("button", { name: "Save token" }).click();
  await expect(page.getByRole("alert")).toContainText("Fly.io did not accept this token");
  await expect(page.getByRole("alert")).toContainText("Authenticate: token validation error");
  await expect(tokenInput).toHaveAttribute("aria-invalid", "true");

  await tokenInput.fill(E2E_FLY_TOKEN);
  await page.getByRole("button", { name: "Save token" }).click();
  await expect(page.getByTestId("fly-token-masked")).toHaveText(`••••••••${E2E_FLY_TOKEN.slice(-4)}`);
  await expect(page.getByTestId("fly-org-slug")).toHaveText(E2E_FLY_ORG);
  await expect(page.getByText("by Grace Hopper")).toBeVisible();
  await expect(page.getByText(E2E_FLY_TOKEN)).toHaveCount(0);

  // Still there after a reload: it came from the server, not the form.
  await page.reload();
  await expect(page.getByTestId("fly-org-slug")).toHaveText(E2E_FLY_ORG);

  await page.getByRole("button", { name: "Remove token" }).click();
  await expect(page.getByText("Remove the Fly.io token?")).toBeVisible();
  await page.getByRole("button", { name: "Keep it" }).click();
  await expect(page.getByTestId("fly-org-slug")).toHaveText(E2E_FLY_ORG);

  await page.getByRole("button", { name: "Remove token" }).click();
  await page.getByRole("button", { name: "Yes, remove the token" }).click();
  await expect(page.getByRole("heading", { name: "No Fly.io token yet" })).toBeVisible();
  await page.reload();
  await expect(page.getByRole("heading", { name: "No Fly.io token yet" })).toBeVisible();
});
