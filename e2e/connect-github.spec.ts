import { expect, test } from "@playwright/test";

// Sandbox mode: server/main.ts starts the GitHub emulator and GET /api/sandbox says where it is.
test("sign in with GitHub, connect the installation and see its repositories", async ({ page, request }) => {
  const sandbox = (await (await request.get("/api/sandbox")).json()) as {
    github: { webUrl: string; controlUrl: string };
  };
  // Each run starts from the emulator's fixture: no installation yet.
  await request.post(`${sandbox.github.controlUrl}/reset`);

  await page.goto("/sign-in");
  await page.getByRole("button", { name: "Sign in with GitHub" }).click();
  // The emulator's authorize page, as GitHub's: the App asks the user (octocat by default) to authorize.
  await expect(page).toHaveURL(new RegExp(`^${sandbox.github.webUrl}/login/oauth/authorize`));
  await page.getByRole("button", { name: "Authorize" }).click();

  await expect(page.getByRole("heading", { name: "Projects", exact: true })).toBeVisible();
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "GitHub" }).click();
  await expect(page.getByRole("heading", { name: "No GitHub installations yet" })).toBeVisible();

  await page.getByRole("link", { name: "Connect GitHub" }).click();
  await expect(page).toHaveURL(new RegExp(`^${sandbox.github.webUrl}/apps/`));
  await page.getByRole("link", { name: "acme" }).click();
  await page.getByRole("button", { name: "Install" }).click();

  // GitHub's Setup URL → Hangar verifies the installation with the user's token → the GitHub page.
  await expect(page).toHaveURL(/\/github\?connected=\d+$/);
  await expect(page.getByText("The GitHub installation is connected")).toBeVisible();
  const installation = page.getByRole("article", { name: /acme/ });
  await expect(installation.getByRole("row", { name: /acme\/web\s+Private\s+Admin/ })).toBeVisible();
  await expect(installation.getByRole("row", { name: /acme\/api\s+Private\s+Write/ })).toBeVisible();

  // A push now travels GitHub → signed webhook → durable queue → worker, and the inbox says what it meant.
  const push = await request.post(`${sandbox.github.controlUrl}/repos/acme/web/push`, {
    data: { branch: "main", message: "Update the landing page" },
  });
  expect(push.ok()).toBe(true);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Webhooks" }).click();
  await expect(
    page.getByRole("row", { name: /push.*acme\/web.*ignored.*no project tracks acme\/web@main/ }),
  ).toBeVisible({ timeout: 15_000 });
});
