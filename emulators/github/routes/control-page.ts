import { accountRepositories, installationRepositories } from "../access.ts";
import type { EmulatorContext } from "../context.ts";
import { escapeHtml as e, page } from "../html.ts";
import type { Repository } from "../state.ts";

/** The person-facing control page at /_emulator: plain HTML forms posting JSON to the control API. */

const SCRIPT = `
const clean = (data) => Object.fromEntries(Object.entries(data).filter(([, v]) => v !== ""));
const list = (value) => (value ?? "").split(",").map((s) => s.trim()).filter(Boolean);
const builders = {
  push: (d) => clean({ branch: d.branch, message: d.message, author: d.author, force: d.force === "on",
    files: d.path ? { [d.path]: d.content ?? "" } : "" }),
  pull: (d) => clean(d),
  sync: (d) => clean({ message: d.message, files: d.path ? { [d.path]: d.content ?? "" } : "" }),
  installation: (d) => ({ account: d.account, repositories: d.repositories === "all" ? "all" : list(d.repositories) }),
  repos: (d) => ({ add: list(d.add), remove: list(d.remove) }),
  faults: (d) => clean({ errorRate: Number(d.errorRate || 0), latencyMs: Number(d.latencyMs || 0),
    dropConnections: Number(d.dropConnections || 0), routes: d.routes ? list(d.routes) : "",
    rateLimit: d.retryAfterSeconds ? { retryAfterSeconds: Number(d.retryAfterSeconds), status: Number(d.status || 429) } : "" }),
  hook: (d) => ({ url: d.url || null }),
};
document.addEventListener("submit", async (event) => {
  const form = event.target;
  if (!form.dataset.path) return;
  event.preventDefault();
  const data = Object.fromEntries(new FormData(form));
  const body = (builders[form.dataset.kind] ?? (() => ({})))(data);
  const response = await fetch(form.dataset.path, {
    method: form.dataset.method ?? "POST",
    headers: { "content-type": "application/json" },
    body: form.dataset.method === "DELETE" && !form.dataset.kind ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  document.getElementById("result").textContent = response.status + " " + text;
  if (response.ok) setTimeout(() => location.reload(), 700);
});
`;

function form(
  path: string,
  inner: string,
  options: { kind?: string; method?: string; inline?: boolean } = {},
) {
  const kind = options.kind ? ` data-kind="${options.kind}"` : "";
  const method = options.method ? ` data-method="${options.method}"` : "";
  const inline = options.inline ? ' class="inline"' : "";
  return `<form data-path="${e(path)}"${kind}${method}${inline}>${inner}</form>`;
}

function repositorySection(ctx: EmulatorContext, repo: Repository): string {
  const fullName = `${repo.ownerLogin}/${repo.name}`;
  const base = `/_emulator/repos/${fullName}`;
  const branches = [...repo.branches]
    .map(
      ([
        name,
        sha,
      ]) => `<tr><td><code>${e(name)}</code>${name === repo.defaultBranch ? " <span class=muted>default</span>" : ""}</td>
        <td><code>${sha.slice(0, 7)}</code> ${e(repo.commits.get(sha)?.message.split("\n")[0] ?? "")}</td>
        <td>${name === repo.defaultBranch ? "" : form(`${base}/branches/${name}`, '<button class="danger">Delete</button>', { method: "DELETE", inline: true })}</td></tr>`,
    )
    .join("");
  const pulls = [...repo.pulls.values()]
    .map((pull) => {
      const actions =
        pull.state === "open" ? ["synchronize", "close", "merge"] : pull.merged ? [] : ["reopen"];
      const buttons = actions
        .map((action) =>
          form(`${base}/pulls/${pull.number}/${action}`, `<button class="secondary">${action}</button>`, {
            inline: true,
            kind: "pull",
          }),
        )
        .join(" ");
      const state = pull.merged ? "merged" : pull.state;
      return `<tr><td>#${pull.number}</td><td>${e(pull.title)}</td><td><code>${e(pull.headRef)}</code> → <code>${e(pull.baseRef)}</code></td><td>${state}</td><td>${buttons}</td></tr>`;
    })
    .join("");
  const authors = [...ctx.state.users.keys()].map((login) => `<option>${e(login)}</option>`).join("");
  return `<div class="box"><h2>${e(fullName)} ${repo.private ? '<span class="muted">private</span>' : ""}${repo.forkOfId ? ' <span class="muted">fork</span>' : ""}</h2>
    <table><tr><th>Branch</th><th>Head</th><th></th></tr>${branches}</table>
    <h3>Push a commit</h3>
    ${form(
      `${base}/push`,
      `<input type="text" name="branch" value="${e(repo.defaultBranch)}" placeholder="branch" required>
       <input type="text" name="message" placeholder="commit message" size="30">
       <select name="author">${authors}</select>
       <label><input type="checkbox" name="force"> force-push</label><br>
       <input type="text" name="path" placeholder="file path (optional, e.g. server.js)" size="40">
       <textarea name="content" placeholder="new file content (without a path, a line is appended to CHANGELOG.md)"></textarea>
       <button>Push</button>`,
      { kind: "push" },
    )}
    <h3>Pull requests</h3>
    <table><tr><th>#</th><th>Title</th><th>Branches</th><th>State</th><th></th></tr>${pulls || '<tr><td colspan="5" class="muted">None</td></tr>'}</table>
    ${form(
      `${base}/pulls`,
      `<input type="text" name="head" placeholder="head branch" required> →
       <input type="text" name="base" placeholder="base (default ${e(repo.defaultBranch)})">
       <input type="text" name="title" placeholder="title">
       <input type="text" name="headOwner" placeholder="fork owner (optional, e.g. hubot)">
       <button>Open pull request</button>`,
      { kind: "pull" },
    )}</div>`;
}

function installationsSection(ctx: EmulatorContext): string {
  const rows = [...ctx.state.installations.values()]
    .map((inst) => {
      const repos = installationRepositories(ctx.state, inst)
        .map((repo) => repo.name)
        .join(", ");
      const path = `/_emulator/installations/${inst.id}`;
      const suspend = inst.suspendedAt
        ? form(`${path}/unsuspend`, '<button class="secondary">Unsuspend</button>', { inline: true })
        : form(`${path}/suspend`, '<button class="secondary">Suspend</button>', { inline: true });
      return `<tr><td><code>${inst.id}</code></td><td>${e(inst.accountLogin)}</td><td>${inst.repositorySelection}: ${e(repos)}</td>
        <td>${inst.suspendedAt ? '<span class="bad">suspended</span>' : '<span class="ok">active</span>'}</td>
        <td>${form(`${path}/repositories`, '<input type="text" name="add" placeholder="add repo" size="8"> <input type="text" name="remove" placeholder="remove repo" size="8"> <button class="secondary">Apply</button>', { kind: "repos", inline: true })}
        ${suspend} ${form(path, '<button class="danger">Uninstall</button>', { method: "DELETE", inline: true })}</td></tr>`;
    })
    .join("");
  const accounts = [...ctx.state.users.values(), ...ctx.state.organizations.values()]
    .map(
      (account) =>
        `<option value="${e(account.login)}">${e(account.login)} (${accountRepositories(ctx.state, account.login).length} repos)</option>`,
    )
    .join("");
  return `<div class="box"><h2>Installations of ${e(ctx.options.appSlug)}</h2>
    <p>Install through the real flow: <a href="/apps/${e(ctx.options.appSlug)}/installations/new">/apps/${e(ctx.options.appSlug)}/installations/new</a>
    ${ctx.options.setupUrl ? `(redirects to <code>${e(ctx.options.setupUrl)}</code>)` : "(no Setup URL configured)"}</p>
    <table><tr><th>Id</th><th>Account</th><th>Repositories</th><th>State</th><th></th></tr>${rows || '<tr><td colspan="5" class="muted">Not installed anywhere yet</td></tr>'}</table>
    <h3>Create an installation directly</h3>
    ${form("/_emulator/installations", `<select name="account">${accounts}</select> <input type="text" name="repositories" value="all" placeholder='"all" or web, api'> <button>Create</button>`, { kind: "installation" })}
  </div>`;
}

function deliveriesSection(ctx: EmulatorContext): string {
  const rows = [...ctx.state.deliveries]
    .sort((a, b) => b.id - a.id)
    .slice(0, 40)
    .map((delivery) => {
      const ok = delivery.statusCode >= 200 && delivery.statusCode < 300;
      const status =
        delivery.state === "pending" ? "pending" : `${delivery.statusCode || ""} ${delivery.status}`;
      return `<tr><td class="muted">${e(delivery.deliveredAt)}</td><td>${e(delivery.event)}${delivery.action ? `.${e(delivery.action)}` : ""}${delivery.redelivery ? ' <span class="muted">redelivery</span>' : ""}</td>
        <td><code>${e(delivery.guid)}</code></td><td class="${ok ? "ok" : "bad"}">${e(status)}</td><td>${delivery.durationSeconds}s</td>
        <td><details><summary>payload</summary><pre>${e(JSON.stringify(JSON.parse(delivery.body), null, 2).slice(0, 20_000))}</pre>
        ${delivery.responseBody !== null ? `<p>Response:</p><pre>${e(delivery.responseBody)}</pre>` : ""}</details></td>
        <td>${form(`/_emulator/deliveries/${delivery.id}/redeliver`, '<button class="secondary">Redeliver</button>', { inline: true })}</td></tr>`;
    })
    .join("");
  return `<div class="box"><h2>Webhook deliveries</h2>
    ${form("/_emulator/hook", `Webhook URL <input type="text" name="url" size="50" value="${e(ctx.hook.url ?? "")}"> <button class="secondary">Save</button>`, { kind: "hook", method: "PATCH", inline: true })}
    ${form("/_emulator/ping", '<button class="secondary">Send ping</button>', { inline: true })}
    <table><tr><th>Time</th><th>Event</th><th>Guid</th><th>Response</th><th>Duration</th><th></th><th></th></tr>${rows || '<tr><td colspan="7" class="muted">None yet</td></tr>'}</table></div>`;
}

function faultsSection(ctx: EmulatorContext): string {
  const current = ctx.faults
    ? `<p>Active: <code>${e(JSON.stringify(ctx.faults))}</code></p>`
    : '<p class="muted">No faults injected.</p>';
  return `<div class="box"><h2>Fault injection (REST API and OAuth token endpoint)</h2>${current}
    ${form(
      "/_emulator/faults",
      `<label>error rate <input type="text" name="errorRate" size="4" placeholder="0.3"></label>
       <label>latency ms <input type="text" name="latencyMs" size="5"></label>
       <label>drop rate <input type="text" name="dropConnections" size="4"></label>
       <label>Retry-After s <input type="text" name="retryAfterSeconds" size="4"></label>
       <label>status <select name="status"><option>429</option><option>403</option></select></label>
       <label>routes <input type="text" name="routes" placeholder="/repos/acme/web, /app" size="20"></label>
       <button>Apply</button>`,
      { kind: "faults" },
    )}
    ${form("/_emulator/faults", '<button class="secondary">Clear faults</button>', { method: "DELETE" })}</div>`;
}

export function controlPage(ctx: EmulatorContext): string {
  const repos = [...ctx.state.repositories.values()].map((repo) => repositorySection(ctx, repo)).join("");
  return page(
    "GitHub emulator — control",
    `<h1>GitHub emulator</h1>
     <p class="muted">REST API at <code>${e(ctx.apiUrl)}</code> · App <code>${e(ctx.options.appSlug)}</code> (id ${ctx.options.appId}) ·
       ${form("/_emulator/reset", '<button class="danger">Reset to fixture</button>', { inline: true })}</p>
     <pre id="result" class="muted"></pre>
     ${installationsSection(ctx)}${repos}${deliveriesSection(ctx)}${faultsSection(ctx)}
     <script>${SCRIPT}</script>`,
  );
}
