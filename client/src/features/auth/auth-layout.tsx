import type { ReactNode } from "react";
import { SandboxBanner } from "../shell/sandbox-banner.tsx";

export function AuthLayout({
  title,
  children,
  footer,
}: {
  title: string;
  children: ReactNode;
  footer: ReactNode;
}) {
  return (
    <>
      <SandboxBanner />
      <main className="auth-page">
        <div className="auth-card">
          <div className="brand brand-large" aria-hidden="true">
            <span className="brand-mark">▲</span> Hangar
          </div>
          <h1>{title}</h1>
          {children}
          <p className="auth-footer">{footer}</p>
        </div>
      </main>
    </>
  );
}
