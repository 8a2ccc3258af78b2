import { type ComponentType, lazy, Suspense } from "react";
import { createBrowserRouter } from "react-router";
import { Loading } from "../components/query-state.tsx";
import { SignInPage } from "../features/auth/sign-in-page.tsx";
import { SignUpPage } from "../features/auth/sign-up-page.tsx";
import { GitHubPage } from "../features/github/github-page.tsx";
import { ProjectsPage } from "../features/projects/projects-page.tsx";
import { SettingsPage } from "../features/settings/settings-page.tsx";
import { AppShell } from "../features/shell/app-shell.tsx";
import { NotFoundPage } from "../features/shell/not-found-page.tsx";
import { WebhooksPage } from "../features/webhooks/webhooks-page.tsx";

/** A page loaded on first visit, to keep the initial bundle small (SPEC §7). */
function lazyPage(load: () => Promise<ComponentType>) {
  const Page = lazy(async () => ({ default: await load() }));
  return (
    <Suspense fallback={<Loading label="Loading…" />}>
      <Page />
    </Suspense>
  );
}

const newProjectPage = lazyPage(
  async () => (await import("../features/projects/new-project-page.tsx")).NewProjectPage,
);
const projectPage = lazyPage(async () => (await import("../features/projects/project-page.tsx")).ProjectPage);
const deploymentPage = lazyPage(
  async () => (await import("../features/deployments/deployment-page.tsx")).DeploymentPage,
);

export const router = createBrowserRouter([
  { path: "/sign-in", element: <SignInPage /> },
  { path: "/sign-up", element: <SignUpPage /> },
  {
    path: "/",
    element: <AppShell />,
    children: [
      { index: true, element: <ProjectsPage /> },
      { path: "projects", element: <ProjectsPage /> },
      { path: "projects/new", element: newProjectPage },
      { path: "projects/:projectId", element: projectPage },
      { path: "deployments/:deploymentId", element: deploymentPage },
      { path: "github", element: <GitHubPage /> },
      { path: "settings", element: <SettingsPage /> },
      { path: "webhooks", element: <WebhooksPage /> },
      { path: "*", element: <NotFoundPage /> },
    ],
  },
]);
