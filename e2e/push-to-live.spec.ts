import { expect, test } from "@playwright/test";
import { e2eDatabaseUrl, scanDatabase } from "./support/database-scan.ts";
import {
  type Sandbox,
  ensureAcmeInstallation,
  ensureFlyToken,
  signInWithGitHub,
} from "./support/github-account.ts";

// The first real path (SPEC §2): a push on the emulated GitHub travels webhook → queue → build → Fly
// rollout → live, watched in the dashboard; then a rollback, and the GitHub deployment statuses the
// emulator recorded. Sandbox time runs at real speed (the app's health check has a 5 s grace period).

type GitHubDeployment = {
  sha: string;
  statuses: { state: string; log_url?: string; environment_url?: string }[];
};

test("push a commit, watch it go live with its log, roll back, and see GitHub's deployment statuses", async ({
  page,
  request,
}) => {
  test.setTimeout(120_000);
  const sandbox = (await (await request.get("/api/sandbox")).json()) as Sandbox;
  const run = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  const appName = `live-${run}`;
  const secret = `live-secret-${run}-${Math.random().toString(36).slice(2)}`;
  const push = async (message: string) => {
    const response = await request.post(`${sandbox.github.controlUrl}/repos/acme/web/push`, {
      data: { branch: "main", message },
    });
    expect(response.ok()).toBe(true);
    return ((await response.json()) as { sha: string }).sha;
  };
  const deployments = page.getByRole("region", { name: "Deployments" });

  await signInWithGitHub(page, sandbox);
  await ensureAcmeInstallation(page);
  await ensureFlyToken(page, sandbox.fly.token);

  await test.step("create a project for acme/web with a secret", async () => {
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Projects" }).click();
    await page.getByRole("link", { name: "New project" }).click();
    await page.getByRole("radio", { name: "acme/web" }).check();
    await page.getByLabel("Fly app name").fill(appName);
    await expect(page.getByText("Available", { exact: true })).toBeVisible();
    await page.getByLabel("Project name").fill(`Live ${run}`);
    await page.getByRole("button", { name: "Create project" }).click();
    await expect(page).toHaveURL(/\/projects\/[0-9a-f-]{36}$/);
    const variables = page.getByRole("region", { name: "Environment variables" });
    await variables.getByRole("button", { name: "Add variable" }).click();
    const form = variables.getByRole("form", { name: "Add a variable" });
    await form.getByLabel("Name").fill("SESSION_SECRET");
    await form.getByLabel("Value").fill(secret);
    await form.getByRole("button", { name: "Save variable" }).click();
    await expect(variables.getByRole("row", { name: /SESSION_SECRET/ })).toBeVisible();
    await expect(deployments.getByText("No deployments yet")).toBeVisible();
  });

  const firstSha = await push(`First release ${run}`);
  await test.step("the push goes live, and its page shows the steps and the log", async () => {
    const row = deployments.getByTestId("deployment-row-1");
    await expect(row).toBeVisible({ timeout: 15_000 });
    await row.getByRole("link", { name: "#1" }).click();
    await expect(page).toHaveURL(/\/deployments\/[0-9a-f-]{36}$/);
    await expect(page.getByTestId("deployment-status")).toHaveText("live", { timeout: 60_000 });
    const log = page.getByTestId("deployment-log");
    await expect(log).toContainText("── build ──");
    await expect(log).toContainText(`registry.fly.io/${appName}:hangar-1-${firstSha.slice(0, 7)}`);
    await expect(log).toContainText("Deployment #1 is live.");
    // The secret reached Fly by API; the log names it, never its value.
    await expect(log).toContainText("Updated 1 secret(s) (SESSION_SECRET)");
    await expect(log).not.toContainText(secret);
  });

  await test.step("a second push goes live, then a rollback to #1 goes live without a build", async () => {
    await page.goBack();
    await push(`Second release ${run}`);
    const second = deployments.getByTestId("deployment-row-2");
    await expect(second).toBeVisible({ timeout: 15_000 });
    await expect(second.getByText("live", { exact: true })).toBeVisible({ timeout: 60_000 });

    // A variable changed after going live: the running app does not have it yet, and the page says so.
    const variables = page.getByRole("region", { name: "Environment variables" });
    await expect(variables.getByText("Redeploy needed for changes to take effect.")).toHaveCount(0);
    await variables.getByRole("button", { name: "Add variable" }).click();
    const form = variables.getByRole("form", { name: "Add a variable" });
    await form.getByLabel("Name").fill("FEATURE_FLAG");
    await form.getByLabel("Value").fill("on");
    await form.getByRole("button", { name: "Save variable" }).click();
    await expect(variables.getByText("Redeploy needed for changes to take effect.")).toBeVisible();

    await deployments
      .getByTestId("deployment-row-1")
      .getByRole("button", { name: "Roll back to #1" })
      .click();
    const dialog = page.getByRole("dialog", { name: "Roll back to #1?" });
    await dialog.getByLabel("As they were").check();
    await dialog.getByRole("button", { name: "Roll back to #1" }).click();
    const rollback = deployments.getByTestId("deployment-row-3");
    await expect(rollback).toBeVisible({ timeout: 15_000 });
    await expect(rollback.getByText("live", { exact: true })).toBeVisible({ timeout: 60_000 });
    await rollback.getByRole("link", { name: "#3" }).click();
    const log = page.getByTestId("deployment-log");
    await expect(log).toContainText(`Rolling back to image registry.fly.io/${appName}:hangar-1-`);
    await expect(log).not.toContainText("── build ──");
  });

  await test.step("GitHub recorded a deployment with queued, in_progress and success statuses", async () => {
    await expect(async () => {
      const all = (await (
        await request.get(`${sandbox.github.controlUrl}/deployments`)
      ).json()) as GitHubDeployment[];
      const first = all.find((deployment) => deployment.sha === firstSha);
      expect(first?.statuses.map((status) => status.state).slice(0, 3)).toEqual([
        "queued",
        "in_progress",
        "success",
      ]);
      expect(first?.statuses[2]?.environment_url).toContain(`/_apps/${appName}`);
      expect(first?.statuses[2]?.log_url).toMatch(/\/deployments\/[0-9a-f-]{36}$/);
    }).toPass({ timeout: 15_000 });
  });

  await test.step("the secret is nowhere in the database in plaintext (logs included)", async () => {
    const scan = await scanDatabase(e2eDatabaseUrl(), [secret]);
    expect(scan.findings).toEqual([]);
    // …and the scan can fail: it read the deployments' sealed env snapshots, which hold the value.
    expect(
      scan.rows.filter(
        (row) => row.table === "public.deployment" && row.text.includes(appName) && row.text.includes("v1."),
      ),
    ).not.toHaveLength(0);
  });
});
