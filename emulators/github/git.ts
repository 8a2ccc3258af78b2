import { createHash } from "node:crypto";

/** Real git object ids, so shas look and behave like GitHub's (same content, same sha). */

export interface GitSignature {
  name: string;
  email: string;
  /** ISO 8601 timestamp. */
  date: string;
}

function objectSha(type: "blob" | "tree" | "commit", body: Buffer): string {
  return createHash("sha1").update(`${type} ${body.length}\0`).update(body).digest("hex");
}

export function blobSha(content: string): string {
  return objectSha("blob", Buffer.from(content, "utf8"));
}

interface TreeEntry {
  name: string;
  isDirectory: boolean;
  sha: string;
}

/** Sha of the tree at `prefix` ("" for the root) in a flat path → content snapshot. */
export function treeSha(files: ReadonlyMap<string, string>, prefix = ""): string {
  const entries = new Map<string, TreeEntry>();
  for (const [path, content] of files) {
    if (!path.startsWith(prefix)) continue;
    const rest = path.slice(prefix.length);
    const slash = rest.indexOf("/");
    if (slash === -1) {
      entries.set(rest, { name: rest, isDirectory: false, sha: blobSha(content) });
    } else {
      const name = rest.slice(0, slash);
      if (!entries.has(name)) {
        entries.set(name, { name, isDirectory: true, sha: treeSha(files, `${prefix}${name}/`) });
      }
    }
  }
  // Git sorts tree entries as if directory names ended with "/".
  const sortKey = (entry: TreeEntry) => (entry.isDirectory ? `${entry.name}/` : entry.name);
  const sorted = [...entries.values()].sort((a, b) => (sortKey(a) < sortKey(b) ? -1 : 1));
  const body = Buffer.concat(
    sorted.map((entry) =>
      Buffer.concat([
        Buffer.from(`${entry.isDirectory ? "40000" : "100644"} ${entry.name}\0`),
        Buffer.from(entry.sha, "hex"),
      ]),
    ),
  );
  return objectSha("tree", body);
}

function signatureLine(signature: GitSignature): string {
  return `${signature.name} <${signature.email}> ${Math.floor(Date.parse(signature.date) / 1000)} +0000`;
}

export function commitSha(commit: {
  treeSha: string;
  parents: readonly string[];
  author: GitSignature;
  committer: GitSignature;
  message: string;
}): string {
  const lines = [
    `tree ${commit.treeSha}`,
    ...commit.parents.map((parent) => `parent ${parent}`),
    `author ${signatureLine(commit.author)}`,
    `committer ${signatureLine(commit.committer)}`,
    "",
    commit.message,
  ];
  return objectSha("commit", Buffer.from(`${lines.join("\n")}\n`, "utf8"));
}

export const ZERO_SHA = "0000000000000000000000000000000000000000";
