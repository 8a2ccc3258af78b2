import { useQuery, useQueryClient } from "@tanstack/react-query";
import { Navigate, NavLink, Outlet, useNavigate } from "react-router";
import { ErrorState, Loading } from "../../components/query-state.tsx";
import { authClient } from "../../lib/auth-client.ts";
import { useTRPC } from "../../lib/trpc.ts";
import { ActiveOrganizationContext } from "./active-organization.tsx";
import { SandboxBanner } from "./sandbox-banner.tsx";

export function AppShell() {
  const session = authClient.useSession();
  if (session.isPending) return <Loading label="Loading…" />;
  if (!session.data) return <Navigate to="/sign-in" replace />;
  return (
    <SignedInShell
      activeOrganizationId={session.data.session.activeOrganizationId ?? null}
      user={session.data.user}
    />
  );
}

function SignedInShell({
  activeOrganizationId,
  user,
}: {
  activeOrganizationId: string | null;
  user: { name: string; email: string };
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const organizations = useQuery(trpc.organization.list.queryOptions());

  async function switchOrganization(organizationId: string) {
    await authClient.organization.setActive({ organizationId });
    await queryClient.invalidateQueries();
  }

  async function signOut() {
    await authClient.signOut();
    queryClient.clear();
    await navigate("/sign-in");
  }

  const list = organizations.data ?? [];
  const active = list.find((organization) => organization.id === activeOrganizationId) ?? list[0];

  return (
    <div className="shell">
      <SandboxBanner />
      <header className="topbar">
        <a className="skip-link" href="#main">
          Skip to content
        </a>
        <span className="brand">
          <span className="brand-mark" aria-hidden="true">
            ▲
          </span>{" "}
          Hangar
        </span>
        {list.length > 0 && active ? (
          <label className="org-switcher">
            <span className="visually-hidden">Organization</span>
            <select value={active.id} onChange={(event) => void switchOrganization(event.target.value)}>
              {list.map((organization) => (
                <option key={organization.id} value={organization.id}>
                  {organization.name}
                </option>
              ))}
            </select>
          </label>
        ) : null}
        <nav aria-label="Main" className="main-nav">
          <NavLink to="/projects">Projects</NavLink>
          <NavLink to="/github">GitHub</NavLink>
          <NavLink to="/webhooks">Webhooks</NavLink>
          <NavLink to="/settings">Settings</NavLink>
        </nav>
        <div className="account">
          <span className="muted" title={user.email}>
            {user.name}
          </span>
          <button type="button" className="button" onClick={() => void signOut()}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" className="content">
        {organizations.isPending ? <Loading label="Loading organizations…" /> : null}
        {organizations.isError ? (
          <ErrorState error={organizations.error} onRetry={() => void organizations.refetch()} />
        ) : null}
        {active ? (
          <ActiveOrganizationContext value={{ id: active.id, name: active.name, role: active.role }}>
            <Outlet />
          </ActiveOrganizationContext>
        ) : null}
      </main>
    </div>
  );
}
