import express, { type Request, type Response, type Router } from "express";
import { accountRepositories, installableAccounts, installationRepositories } from "../access.ts";
import { ActionError, createInstallation, setInstallationRepositories } from "../actions.ts";
import { APP_DESCRIPTION, APP_NAME } from "../app-definition.ts";
import type { EmulatorContext } from "../context.ts";
import { escapeHtml, hiddenInputs, page } from "../html.ts";
import type { Account, User } from "../state.ts";

/** The App's public page and its install flow (account choice, repository selection, Setup URL redirect). */

function signedInUser(ctx: EmulatorContext, login: string | undefined): User {
  return (
    (login ? ctx.state.user(login) : undefined) ?? ctx.state.user("octocat") ?? fail("fixture has no octocat")
  );
}

function fail(message: string): never {
  throw new Error(message);
}

function queryValue(req: Request, name: string): string | undefined {
  const value: unknown = req.query[name];
  return typeof value === "string" && value !== "" ? value : undefined;
}

function errorPage(res: Response, status: number, message: string): void {
  res
    .status(status)
    .send(page("Error", `<div class="box"><h1>${status}</h1><p>${escapeHtml(message)}</p></div>`));
}

function userPicker(ctx: EmulatorContext, user: User, keep: Record<string, string | undefined>): string {
  const options = [...ctx.state.users.values()]
    .map((candidate) => {
      const selected = candidate.login === user.login ? " selected" : "";
      return `<option value="${escapeHtml(candidate.login)}"${selected}>${escapeHtml(candidate.login)}</option>`;
    })
    .join("");
  return `<form method="get" class="inline">${hiddenInputs(keep)}
    <label>Signed in as <select name="login" onchange="this.form.submit()">${options}</select></label></form>`;
}

function installPage(
  ctx: EmulatorContext,
  user: User,
  account: Account | undefined,
  state: string | undefined,
) {
  const slug = ctx.options.appSlug;
  const accounts = installableAccounts(ctx.state, user);
  const accountLinks = accounts
    .map((candidate) => {
      const query = new URLSearchParams({ login: user.login, target_id: String(candidate.id) });
      if (state) query.set("state", state);
      const installed = ctx.state.installationForAccount(candidate.login)
        ? " <span class=muted>(installed)</span>"
        : "";
      const current = candidate.login === account?.login ? " <strong>←</strong>" : "";
      return `<li><a href="/apps/${escapeHtml(slug)}/installations/new?${escapeHtml(query.toString())}">${escapeHtml(candidate.login)}</a> <span class="muted">${candidate.type}</span>${installed}${current}</li>`;
    })
    .join("");
  let form = "";
  if (account) {
    const existing = ctx.state.installationForAccount(account.login);
    const covered = new Set(
      existing ? installationRepositories(ctx.state, existing).map((repo) => repo.id) : [],
    );
    const all = !existing || existing.repositorySelection === "all";
    const repoBoxes = accountRepositories(ctx.state, account.login)
      .map((repo) => {
        const checked =
          existing && existing.repositorySelection === "selected" && covered.has(repo.id) ? " checked" : "";
        return `<div><label><input type="checkbox" name="repository_ids" value="${repo.id}"${checked}> ${escapeHtml(`${repo.ownerLogin}/${repo.name}`)}${repo.private ? " <span class=muted>private</span>" : ""}</label></div>`;
      })
      .join("");
    form = `<div class="box"><h2>${existing ? "Configure" : "Install"} ${escapeHtml(APP_NAME)} on ${escapeHtml(account.login)}</h2>
      <form method="post" action="/apps/${escapeHtml(slug)}/installations">
        ${hiddenInputs({ login: user.login, account: account.login, state })}
        <p><label><input type="radio" name="repository_selection" value="all"${all ? " checked" : ""}> All repositories</label></p>
        <p><label><input type="radio" name="repository_selection" value="selected"${all ? "" : " checked"}> Only select repositories</label></p>
        <div style="margin-left:24px">${repoBoxes || '<span class="muted">No repositories</span>'}</div>
        <p><button type="submit">${existing ? "Save" : "Install"}</button></p>
      </form></div>`;
  }
  return page(
    `Install ${APP_NAME}`,
    `<div class="box"><h1>Install ${escapeHtml(APP_NAME)}</h1><p>${escapeHtml(APP_DESCRIPTION)}</p>
      ${userPicker(ctx, user, { target_id: account ? String(account.id) : undefined, state })}
      <h2 style="margin-top:16px">Where do you want to install ${escapeHtml(APP_NAME)}?</h2><ul>${accountLinks}</ul></div>${form}`,
  );
}

function formValues(body: unknown, name: string): string[] {
  if (typeof body !== "object" || body === null) return [];
  const value: unknown = (body as Record<string, unknown>)[name];
  if (typeof value === "string") return [value];
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === "string") : [];
}

export function installRoutes(ctx: EmulatorContext): Router {
  const router = express.Router();
  const form = express.urlencoded({ extended: true });

  router.get("/apps/:slug", (req, res) => {
    if (req.params.slug !== ctx.options.appSlug) return errorPage(res, 404, "Not Found");
    res.send(
      page(
        APP_NAME,
        `<div class="box"><h1>${escapeHtml(APP_NAME)}</h1><p>${escapeHtml(APP_DESCRIPTION)}</p>
        <p><a class="button" href="/apps/${escapeHtml(ctx.options.appSlug)}/installations/new">Install</a></p></div>`,
      ),
    );
  });

  router.get("/apps/:slug/installations/new{/permissions}", (req, res) => {
    if (req.params.slug !== ctx.options.appSlug) return errorPage(res, 404, "Not Found");
    const user = signedInUser(ctx, queryValue(req, "login"));
    const accounts = installableAccounts(ctx.state, user);
    const targetId = Number(queryValue(req, "target_id"));
    const account =
      accounts.find((candidate) => candidate.id === targetId) ??
      (accounts.length === 1 ? accounts[0] : undefined);
    res.send(installPage(ctx, user, account, queryValue(req, "state")));
  });

  router.post("/apps/:slug/installations", form, (req, res) => {
    if (req.params.slug !== ctx.options.appSlug) return errorPage(res, 404, "Not Found");
    const [login] = formValues(req.body, "login");
    const [accountLogin] = formValues(req.body, "account");
    const [selection] = formValues(req.body, "repository_selection");
    const [state] = formValues(req.body, "state");
    const user = signedInUser(ctx, login);
    const account = installableAccounts(ctx.state, user).find(
      (candidate) => candidate.login === accountLogin,
    );
    if (!account)
      return errorPage(res, 403, `${user.login} cannot install apps on ${accountLogin ?? "that account"}.`);
    const ids = new Set(formValues(req.body, "repository_ids").map(Number));
    const chosen = accountRepositories(ctx.state, account.login).filter((repo) => ids.has(repo.id));
    if (selection !== "all" && chosen.length === 0)
      return errorPage(res, 422, "Select at least one repository.");
    const repositories = selection === "all" ? "all" : chosen;
    try {
      const existing = ctx.state.installationForAccount(account.login);
      const installationId = existing
        ? (setInstallationRepositories(ctx, existing, repositories, user), existing.id)
        : createInstallation(ctx, account, repositories, user).installation.id;
      const action = existing ? "update" : "install";
      if (!ctx.options.setupUrl) {
        res.send(
          page(
            "Installed",
            `<div class="box"><h1>Installed</h1><p>Installation <code>${installationId}</code> (${action}).</p></div>`,
          ),
        );
        return;
      }
      const setup = new URL(ctx.options.setupUrl);
      setup.searchParams.set("installation_id", String(installationId));
      setup.searchParams.set("setup_action", action);
      if (state) setup.searchParams.set("state", state);
      res.redirect(302, setup.toString());
    } catch (error) {
      if (error instanceof ActionError) return errorPage(res, error.status, error.message);
      throw error;
    }
  });

  return router;
}
