import { useActiveOrganization } from "../shell/active-organization.tsx";
import { FlyCredentialSection } from "./fly-credential-section.tsx";

export function SettingsPage() {
  const organization = useActiveOrganization();
  return (
    <section aria-labelledby="settings-heading" className="stack">
      <div className="page-header">
        <h1 id="settings-heading">Organization settings</h1>
        <span className="muted">{organization.name}</span>
      </div>
      <FlyCredentialSection />
    </section>
  );
}
