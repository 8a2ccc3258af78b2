import { useQuery } from "@tanstack/react-query";

type SandboxInfo = {
  mode: "sandbox";
  github: { controlUrl: string };
  fly: { controlUrl: string };
};

async function fetchSandbox(): Promise<SandboxInfo | null> {
  const response = await fetch("/api/sandbox");
  // 404 means production: real GitHub and Fly.io, no banner.
  return response.ok ? ((await response.json()) as SandboxInfo) : null;
}

/** Says plainly when GitHub and Fly.io are emulated, and links their control pages. */
export function SandboxBanner() {
  const sandbox = useQuery({ queryKey: ["sandbox"], queryFn: fetchSandbox, staleTime: Infinity });
  if (!sandbox.data) return null;
  return (
    <div className="sandbox-banner" role="note">
      <strong>Sandbox: GitHub and Fly.io are emulated.</strong>{" "}
      <a href={sandbox.data.github.controlUrl} target="_blank" rel="noreferrer">
        GitHub emulator (push a commit)
      </a>{" "}
      ·{" "}
      <a href={sandbox.data.fly.controlUrl} target="_blank" rel="noreferrer">
        Fly.io emulator
      </a>
    </div>
  );
}
