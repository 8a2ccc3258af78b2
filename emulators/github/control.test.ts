import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestEmulator, type TestEmulator } from "./test-support.ts";

let gh: TestEmulator;

beforeAll(async () => {
  gh = await startTestEmulator();
});
afterAll(() => gh.close());

interface State {
  repositories: { fullName: string; branches: Record<string, string> }[];
  installations: unknown[];
}

describe("control API and page", () => {
  it("renders the control page with repositories, installations, deliveries and faults", async () => {
    await gh.installation("acme", "all");
    const response = await fetch(`${gh.url}/_emulator`);
    const html = await response.text();
    expect(response.headers.get("content-type")).toContain("text/html");
    for (const text of [
      "acme/web",
      "acme/api",
      "octocat/hello",
      "Push a commit",
      "Webhook deliveries",
      "Fault injection",
    ]) {
      expect(html).toContain(text);
    }
  });

  it("seeds deterministic shas and resets back to the fixture", async () => {
    const initial = await gh.control<State>("/state", undefined, "GET");
    const web = () => initial.repositories.find((repo) => repo.fullName === "acme/web");
    expect(web()?.branches.main).toMatch(/^[0-9a-f]{40}$/);
    const other = await startTestEmulator();
    const fresh = await other.control<State>("/state", undefined, "GET");
    await other.close();
    expect(fresh.repositories).toEqual(initial.repositories);
    await gh.control("/repos/acme/web/push", { branch: "main", files: { "new.txt": "hi\n" } });
    await gh.control("/reset");
    const reset = await gh.control<State>("/state", undefined, "GET");
    expect(reset.repositories).toEqual(initial.repositories);
    expect(reset.installations).toEqual([]);
  });

  it("reports bad requests as 4xx JSON", async () => {
    await expect(gh.control("/repos/acme/nope/push", { branch: "main" })).rejects.toThrow(/404/);
    await expect(gh.control("/repos/acme/web/push", {})).rejects.toThrow(/400/);
    await expect(gh.control("/repos/acme/web/branches/main", {}, "DELETE")).rejects.toThrow(/422/);
    await expect(
      gh.control("/repos/acme/web/push", { branch: "main", files: { "../x": "" } }),
    ).rejects.toThrow(/422/);
  });
});
