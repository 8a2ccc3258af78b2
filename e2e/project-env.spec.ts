import { randomUUID } from "node:crypto";
import { expect, test } from "@playwright/test";
import { e2eDatabaseUrl, scanDatabase } from "./support/database-scan.ts";
import {
  type Sandbox,
  ensureAcmeInstallation,
  ensureFlyToken,
  signInWithGitHub,
} from "./support/github-account.ts";

// Sandbox mode, signed in as the emulator's octocat (see playwright.config.ts: this spec shares that
// account and its acme installation with connect-github.spec.ts, so they run one after the other).

test("create a project for acme/web, keep its environment variables encrypted, and find no secret in the database", async ({
  page,
  request,
}) => {
  // About 15 s on an idle machine; the headroom is for a loaded one (the emulated GitHub sign-in and
  // App install alone can take 10 s there).
  test.setTimeout(60_000);
  const sandbox = (await (await request.get("/api/sandbox")).json()) as Sandbox;
  const run = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  const projectName = `Web ${run}`;
  const appName = `web-${run}`;
  // Random parts make each value unique to this run, so a hit in the database scan can only be ours.
  const databaseUrl = `postgres://app:${randomUUID()}@db.internal:5432/app`;
  const apiToken = `tok_${randomUUID().replaceAll("-", "")}`;
  const sessionSecret = `session secret ${randomUUID()}`;
  const conflictingValue = `flag-${randomUUID()}`;
  let projectId = "";
  const variables = page.getByRole("region", { name: "Environment variables" });

  await test.step("sign in as octocat, with acme connected and a Fly.io token", async () => {
    await signInWithGitHub(page, sandbox);
    await ensureAcmeInstallation(page);
    await ensureFlyToken(page, sandbox.fly.token);
  });

  // The wizard: repository → branch → name and Fly app → region → advanced → create.
  await test.step("create the project through the wizard", async () => {
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Projects" }).click();
    await page.getByRole("link", { name: "New project" }).click();
    await expect(page.getByRole("heading", { name: "New project" })).toBeVisible();
    await page.getByRole("radio", { name: "acme/web" }).check();
    await expect(page.getByLabel("Production branch")).toHaveValue("main");
    await expect(page.getByLabel("Project name")).toHaveValue("web");
    const appNameInput = page.getByLabel("Fly app name");
    await expect(appNameInput).toHaveValue("web");

    await appNameInput.fill("Not_Valid");
    await expect(page.getByText("Use only lowercase letters, digits and dashes")).toBeVisible();
    await expect(appNameInput).toHaveAttribute("aria-invalid", "true");
    await page.getByRole("button", { name: "Create project" }).click();
    await expect(appNameInput).toBeFocused();

    await appNameInput.fill(appName);
    await expect(page.getByText("Available", { exact: true })).toBeVisible();
    await expect(appNameInput).not.toHaveAttribute("aria-invalid");
    await page.getByLabel("Project name").fill(projectName);
    await expect(page.getByLabel("Region")).not.toHaveValue("");
    await page.getByText("Advanced settings").click();
    await expect(page.getByLabel("Dockerfile path")).toHaveValue("Dockerfile");
    await page.getByLabel("Auto-deploy").uncheck();
    await page.getByRole("button", { name: "Create project" }).click();

    await expect(page).toHaveURL(/\/projects\/[0-9a-f-]{36}$/);
    projectId = new URL(page.url()).pathname.split("/").at(-1) ?? "";
    await expect(page.getByRole("heading", { level: 1, name: projectName })).toBeVisible();
    await expect(page.getByText("acme/web@main")).toBeVisible();
    await expect(page.getByRole("link", { name: `${appName}.fly.dev` })).toHaveAttribute(
      "href",
      `https://${appName}.fly.dev`,
    );
  });

  // One variable by hand: refused name first, then stored, masked, revealed and hidden again.
  await test.step("add a variable, see it masked, reveal and hide it", async () => {
    await expect(variables.getByRole("radio", { name: "Production" })).toBeChecked();
    await variables.getByRole("button", { name: "Add variable" }).click();
    const form = variables.getByRole("form", { name: "Add a variable" });
    await form.getByLabel("Name").fill("database_url");
    await form.getByLabel("Value").fill(databaseUrl);
    await form.getByRole("button", { name: "Save variable" }).click();
    await expect(form.getByText("Use uppercase letters, digits and underscores")).toBeVisible();
    await form.getByLabel("Name").fill("DATABASE_URL");
    await form.getByRole("button", { name: "Save variable" }).click();

    const row = variables.getByRole("row", { name: /DATABASE_URL/ });
    const value = row.getByTestId("value-DATABASE_URL");
    await expect(value).toHaveText(/^•{8}/);
    await expect(page.getByText(databaseUrl)).toHaveCount(0);
    // Nothing of this project runs yet, so nothing needs redeploying (push-to-live.spec.ts sees the notice).
    await expect(variables.getByText("Redeploy needed for changes to take effect.")).toHaveCount(0);
    await row.getByRole("button", { name: "Reveal DATABASE_URL" }).click();
    await expect(value).toHaveText(databaseUrl);
    await row.getByRole("button", { name: "Hide DATABASE_URL" }).click();
    await expect(value).toHaveText(/^•{8}/);
  });

  // Bulk paste: the preview reports the invalid line by number; a change made after the preview
  // refuses the apply until it is previewed again.
  await test.step("bulk paste a .env file with an invalid line", async () => {
    await variables.getByRole("button", { name: "Bulk paste .env" }).click();
    await variables
      .getByLabel("Paste a .env file")
      .fill(
        [
          "# pasted from .env.production",
          `API_TOKEN=${apiToken}`,
          "this line is not an assignment",
          `SESSION_SECRET="${sessionSecret}"`,
        ].join("\n"),
      );
    await variables.getByRole("button", { name: "Preview", exact: true }).click();
    const preview = variables.getByRole("region", { name: "Preview", exact: true });
    await expect(preview.getByText("Line 3: Expected KEY=value")).toBeVisible();
    await expect(preview.getByText("Added (2)")).toBeVisible();
    await expect(preview.getByText("API_TOKEN")).toBeVisible();
    await expect(preview.getByText("SESSION_SECRET")).toBeVisible();

    const session = (await (await page.request.get("/api/auth/get-session")).json()) as {
      session: { activeOrganizationId: string };
    };
    const concurrentChange = await page.request.post("/api/trpc/environmentVariable.set", {
      data: {
        json: {
          organizationId: session.session.activeOrganizationId,
          projectId,
          environment: "production",
          key: "FEATURE_FLAGS",
          value: conflictingValue,
        },
      },
    });
    expect(concurrentChange.ok()).toBe(true);
    await preview.getByRole("button", { name: "Apply" }).click();
    await expect(variables.getByText("changed since this preview")).toBeVisible();
    await variables.getByRole("button", { name: "Preview again" }).click();
    await expect(variables.getByText("changed since this preview")).toHaveCount(0);
    await preview.getByRole("button", { name: "Apply" }).click();
    await expect(variables.getByText("Applied: 2 added, 0 changed, 0 removed.")).toBeVisible();
    for (const key of ["API_TOKEN", "SESSION_SECRET", "FEATURE_FLAGS", "DATABASE_URL"]) {
      await expect(variables.getByTestId(`value-${key}`)).toHaveText(/^•{8}/);
    }
  });

  // SPEC §8: no stored secret is anywhere in the database in the clear (or merely base64/hex encoded).
  await test.step("scan every row of the database for the secrets", async () => {
    const secrets = [databaseUrl, apiToken, sessionSecret, conflictingValue, sandbox.fly.token];
    const scan = await scanDatabase(e2eDatabaseUrl(), secrets);
    expect(scan.findings).toEqual([]);
    // …and the scan can fail: it read this project's sealed rows, and it sees what is stored in the clear.
    const sealedRows = scan.rows.filter(
      (scanned) => scanned.table === "public.environment_variable" && scanned.text.includes(projectId),
    );
    expect(sealedRows).toHaveLength(4);
    for (const sealed of sealedRows) expect(sealed.text).toMatch(/\bv1\.[\w-]+\.[\w-]+\.[\w-]+\.[\w-]+/);
    expect(
      scan.rows.some((scanned) => scanned.table === "public.project" && scanned.text.includes(projectName)),
    ).toBe(true);
  });

  await test.step("delete the project, keeping its Fly app", async () => {
    await page.getByRole("button", { name: "Delete project…" }).click();
    const dialog = page.getByRole("dialog", { name: `Delete ${projectName}?` });
    await expect(dialog.getByLabel(`Also destroy the Fly app ${appName}`)).not.toBeChecked();
    const confirm = dialog.getByRole("button", { name: "Delete project", exact: true });
    await expect(confirm).toBeDisabled();
    await dialog.getByLabel(`Type ${projectName} to confirm`).fill(projectName);
    await confirm.click();
    await expect(page).toHaveURL(/\/projects$/);
    await expect(page.getByRole("link", { name: projectName })).toHaveCount(0);
  });
});
