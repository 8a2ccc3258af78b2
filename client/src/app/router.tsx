import { createBrowserRouter } from "react-router";
import { SignInPage } from "../features/auth/sign-in-page.tsx";
import { SignUpPage } from "../features/auth/sign-up-page.tsx";
import { GitHubPage } from "../features/github/github-page.tsx";
import { ProjectsPage } from "../features/projects/projects-page.tsx";
import { SettingsPage } from "../features/settings/settings-page.tsx";
import { AppShell } from "../features/shell/app-shell.tsx";
import { NotFoundPage } from "../features/shell/not-found-page.tsx";
import { WebhooksPage } from "../features/webhooks/webhooks-page.tsx";

export const router = createBrowserRouter([
  { path: "/sign-in", element: <SignInPage /> },
  { path: "/sign-up", element: <SignUpPage /> },
  {
    path: "/",
    element: <AppShell />,
    children: [
      { index: true, element: <ProjectsPage /> },
      { path: "projects", element: <ProjectsPage /> },
      { path: "github", element: <GitHubPage /> },
      { path: "settings", element: <SettingsPage /> },
      { path: "webhooks", element: <WebhooksPage /> },
      { path: "*", element: <NotFoundPage /> },
    ],
  },
]);
