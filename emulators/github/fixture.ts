import { buildCommit, EmulatorState, type CommitAuthor, type Repository, type RepoRole } from "./state.ts";

/** Deterministic seed: same shas on every start, so tests and screenshots are stable. */

const WEB_FILES: Record<string, string> = {
  "README.md": "# acme/web\n\nA tiny Node.js web app deployed to Fly.io by Hangar.\n",
  ".dockerignore": "node_modules\n.git\n",
  Dockerfile: [
    "FROM node:24-alpine",
    "WORKDIR /app",
    "COPY package.json ./",
    "RUN npm install --omit=dev",
    "COPY . .",
    "ENV PORT=8080",
    "EXPOSE 8080",
    'CMD ["node", "server.js"]',
    "",
  ].join("\n"),
  "fly.toml": [
    'app = "acme-web"',
    'primary_region = "ams"',
    "",
    "[build]",
    '  dockerfile = "Dockerfile"',
    "",
    "[http_service]",
    "  internal_port = 8080",
    "  force_https = true",
    '  auto_stop_machines = "stop"',
    "  auto_start_machines = true",
    "  min_machines_running = 1",
    "",
    "[[http_service.checks]]",
    '  grace_period = "5s"',
    '  interval = "15s"',
    '  method = "GET"',
    '  path = "/healthz"',
    '  timeout = "2s"',
    "",
  ].join("\n"),
  "package.json": `${JSON.stringify(
    {
      name: "acme-web",
      version: "1.0.0",
      private: true,
      type: "module",
      scripts: { start: "node server.js" },
      engines: { node: ">=24" },
    },
    null,
    2,
  )}\n`,
  "server.js": [
    'import { createServer } from "node:http";',
    "",
    "const port = Number(process.env.PORT ?? 8080);",
    "",
    "createServer((req, res) => {",
    '  if (req.url === "/healthz") {',
    '    res.writeHead(200, { "content-type": "text/plain" }).end("ok");',
    "    return;",
    "  }",
    '  res.writeHead(200, { "content-type": "text/html" }).end("<h1>Hello from acme/web</h1>");',
    "}).listen(port);",
    "",
  ].join("\n"),
  "public/index.html": "<!doctype html>\n<title>acme</title>\n<h1>acme</h1>\n",
};

const API_FILES: Record<string, string> = {
  "README.md": "# acme/api\n\nMonorepo: the API service lives in services/api.\n",
  Dockerfile: [
    "FROM node:24-alpine",
    "WORKDIR /app",
    "COPY services/api/ ./",
    "ENV PORT=3000",
    "EXPOSE 3000",
    'CMD ["node", "index.js"]',
    "",
  ].join("\n"),
  "services/api/fly.toml": [
    'app = "acme-api"',
    'primary_region = "fra"',
    "",
    "[build]",
    '  dockerfile = "../../Dockerfile"',
    "",
    "[http_service]",
    "  internal_port = 3000",
    "  force_https = true",
    "",
  ].join("\n"),
  "services/api/package.json": `${JSON.stringify({ name: "acme-api", version: "0.3.0", private: true, type: "module" }, null, 2)}\n`,
  "services/api/index.js": [
    'import { createServer } from "node:http";',
    "",
    "createServer((req, res) => {",
    '  res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ ok: true }));',
    "}).listen(Number(process.env.PORT ?? 3000));",
    "",
  ].join("\n"),
};

const HELLO_FILES: Record<string, string> = {
  "README.md": "# hello\n\nMy first repository. No Dockerfile here.\n",
  "hello.sh": '#!/bin/sh\necho "Hello, world"\n',
};

interface HistoryStep {
  message: string;
  date: string;
  files: Record<string, string | null>;
}

interface RepoSeed {
  id: number;
  owner: string;
  name: string;
  private: boolean;
  description: string;
  language: string | null;
  createdAt: string;
  collaborators: Record<string, RepoRole>;
  history: HistoryStep[];
  /** Extra branches: name → commits on top of the default branch head. */
  branches?: Record<string, HistoryStep[]>;
}

const REPOS: RepoSeed[] = [
  {
    id: 702_114_001,
    owner: "acme",
    name: "web",
    private: true,
    description: "The acme marketing site",
    language: "JavaScript",
    createdAt: "2025-01-06T09:12:44Z",
    collaborators: { octocat: "admin", hubot: "read" },
    history: [
      { message: "Initial commit", date: "2025-01-06T09:14:02Z", files: { ...WEB_FILES } },
      {
        message: "Add health check endpoint",
        date: "2025-01-08T16:40:19Z",
        files: { "CHANGELOG.md": "# Changelog\n\n- Health check at /healthz\n" },
      },
    ],
    branches: {
      "feature/greeting": [
        {
          message: "Greet visitors by name",
          date: "2025-01-09T11:02:57Z",
          files: { "public/index.html": "<!doctype html>\n<title>acme</title>\n<h1>Hello, visitor</h1>\n" },
        },
      ],
    },
  },
  {
    id: 702_114_002,
    owner: "acme",
    name: "api",
    private: true,
    description: "The acme API (monorepo)",
    language: "JavaScript",
    createdAt: "2025-02-03T13:30:00Z",
    collaborators: { octocat: "write", hubot: "read" },
    history: [
      { message: "Initial commit", date: "2025-02-03T13:31:10Z", files: { ...API_FILES } },
      {
        message: "Move the service under services/api",
        date: "2025-02-04T08:05:51Z",
        files: { "services/api/README.md": "Run with `node index.js`.\n" },
      },
    ],
  },
  {
    id: 702_114_003,
    owner: "octocat",
    name: "hello",
    private: false,
    description: "My first repository",
    language: "Shell",
    createdAt: "2024-11-20T18:00:00Z",
    collaborators: {},
    history: [{ message: "Initial commit", date: "2024-11-20T18:01:33Z", files: { ...HELLO_FILES } }],
  },
];

function authorOf(state: EmulatorState, login: string, date: string): CommitAuthor {
  const user = state.user(login);
  if (!user) throw new Error(`fixture: unknown user ${login}`);
  return { name: user.name, email: user.email, login: user.login, date };
}

function applyStep(
  state: EmulatorState,
  repo: Repository,
  parent: string | undefined,
  step: HistoryStep,
): string {
  const files = new Map(parent ? repo.commits.get(parent)?.files : undefined);
  for (const [path, content] of Object.entries(step.files)) {
    if (content === null) files.delete(path);
    else files.set(path, content);
  }
  const commit = buildCommit(repo, {
    message: step.message,
    author: authorOf(state, "octocat", step.date),
    parents: parent ? [parent] : [],
    files,
  });
  repo.commits.set(commit.sha, commit);
  return commit.sha;
}

export function seedState(): EmulatorState {
  const state = new EmulatorState();
  state.users.set("octocat", {
    type: "User",
    id: 583_231,
    login: "octocat",
    name: "The Octocat",
    email: "octocat@github.com",
    createdAt: "2011-01-25T18:44:36Z",
  });
  state.users.set("hubot", {
    type: "User",
    id: 480_938,
    login: "hubot",
    name: "Hubot",
    email: "hubot@github.com",
    createdAt: "2010-11-17T01:03:14Z",
  });
  state.organizations.set("acme", {
    type: "Organization",
    id: 91_120_144,
    login: "acme",
    name: "Acme Inc.",
    members: new Map([
      ["octocat", "admin"],
      ["hubot", "member"],
    ]),
    createdAt: "2021-09-01T12:00:00Z",
  });

  for (const seed of REPOS) {
    const last = seed.history.at(-1)?.date ?? seed.createdAt;
    const repo: Repository = {
      id: seed.id,
      ownerLogin: seed.owner,
      name: seed.name,
      private: seed.private,
      description: seed.description,
      language: seed.language,
      defaultBranch: "main",
      createdAt: seed.createdAt,
      updatedAt: last,
      pushedAt: last,
      branches: new Map(),
      commits: new Map(),
      collaborators: new Map(Object.entries(seed.collaborators)),
      pulls: new Map(),
      nextIssueNumber: 1,
      forkOfId: null,
    };
    let head: string | undefined;
    for (const step of seed.history) head = applyStep(state, repo, head, step);
    if (!head) throw new Error(`fixture: ${seed.name} has no history`);
    repo.branches.set("main", head);
    for (const [branch, steps] of Object.entries(seed.branches ?? {})) {
      let branchHead = head;
      for (const step of steps) branchHead = applyStep(state, repo, branchHead, step);
      repo.branches.set(branch, branchHead);
    }
    state.repositories.set(repo.id, repo);
  }
  return state;
}
