// Safe extraction of a repository tarball (GitHub's `/repos/{o}/{r}/tarball/{sha}` format: everything
// under one top-level `owner-repo-sha7/` directory, which is stripped) into a deployment's scratch
// workspace (SPEC §5.6, §8). `tar` parses and writes; every entry passes the checks of
// `createEntryInspector` first, and the first one refused aborts the whole extraction: a source tree
// with a file silently missing would build something other than the commit.
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import type { ReadableStream as NodeReadableStream } from "node:stream/web";
import { ReadEntry, Unpack } from "tar";
import { AppError } from "../errors.ts";
import { sanitizeText } from "../webhooks/sanitize.ts";

export type ArchiveLimits = {
  /** Per entry and for all entries together, uncompressed. */
  maxBytes: number;
  /** Entries of any kind: files, directories and links. */
  maxFiles: number;
};

export const DEFAULT_ARCHIVE_LIMITS: ArchiveLimits = { maxBytes: 500 * 1024 * 1024, maxFiles: 50_000 };

/** What git stores (files, directories, symbolic links), plus in-tree hard links, which are harmless. */
const EXTRACTABLE_TYPES = new Set(["File", "OldFile", "ContiguousFile", "Directory", "SymbolicLink", "Link"]);

const TYPE_NAMES: Record<string, string> = {
  CharacterDevice: "a character device",
  BlockDevice: "a block device",
  FIFO: "a FIFO",
};

/** A scratch directory of its own (mode 0700) under `root` for one deployment's source and build files. */
export async function createWorkspace(root: string): Promise<string> {
  await mkdir(root, { recursive: true });
  return mkdtemp(path.join(root, "workspace-"));
}

/** Removes a workspace and everything in it; a workspace already gone is fine. */
export async function removeWorkspace(workspace: string): Promise<void> {
  await rm(workspace, { recursive: true, force: true, maxRetries: 3 });
}

function refused(message: string): AppError {
  return new AppError("UNPROCESSABLE_CONTENT", `The source archive was refused: ${message}.`, {
    reason: "SOURCE_ARCHIVE_REFUSED",
  });
}

/** An archive path as it may appear in a message: quoted, without control characters, bounded. */
function quote(name: string): string {
  return JSON.stringify(sanitizeText(name, 200));
}

function megabytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/**
 * A symbolic link stays in the tree when its target is relative, climbs (leading `..`) no higher than the
 * tree's root, and then only descends. A `..` after a name is refused even when it looks harmless: the
 * operating system resolves it from wherever that name points if it is itself a link (`up -> .` then
 * `x -> up/..` leaves the tree although `up/..` normalises to nothing).
 */
function symlinkStaysInside(linkPath: string[], target: string): boolean {
  const parts = target.split("/").filter((part) => part !== "" && part !== ".");
  let climbs = 0;
  let descended = false;
  for (const part of parts) {
    if (part !== "..") descended = true;
    else if (descended) return false;
    else climbs++;
  }
  return climbs <= linkPath.length - 1;
}

/**
 * The checks every entry passes before `tar` writes it, in archive order. `inspect` returns why an entry
 * is refused, or undefined after normalising its mode (no setuid/setgid/sticky bits, no owner-only or
 * world-writable files: 0755 for directories and executables, 0644 otherwise, as git stores them).
 */
function createEntryInspector(limits: ArchiveLimits) {
  let root: string | undefined;
  let entries = 0;
  let bytes = 0;
  /** Symbolic links extracted so far, as paths relative to the target; nothing is written through them. */
  const symlinks = new Set<string>();

  function inspect(entry: ReadEntry): string | undefined {
    const name = quote(entry.path);
    const rawParts = entry.path.split("/");
    if (entry.path.startsWith("/")) return `${name} is an absolute path`;
    if (rawParts.includes("..")) return `${name} contains a ".." segment`;
    // `tar` strips the first raw segment; every entry must share it, or two trees would merge into one.
    root ??= rawParts[0];
    if (rawParts[0] !== root) {
      return `${name} is outside the archive's top-level directory ${quote(root ?? "")}`;
    }
    const parts = rawParts.slice(1).filter((part) => part !== "" && part !== ".");
    if (parts.length === 0 && entry.type !== "Directory") return `${name} replaces the top-level directory`;

    if (!EXTRACTABLE_TYPES.has(entry.type)) {
      const kind = TYPE_NAMES[entry.type] ?? `of type ${entry.type}`;
      return `${name} is ${kind}; only files, directories and links are allowed`;
    }
    for (let depth = 1; depth < parts.length; depth++) {
      const ancestor = parts.slice(0, depth).join("/");
      if (symlinks.has(ancestor)) {
        return `${name} would be written through the symbolic link ${quote(ancestor)}`;
      }
    }

    const linkTarget = entry.linkpath ?? "";
    if (entry.type === "SymbolicLink") {
      if (linkTarget.startsWith("/")) {
        return `${name} is a symbolic link to the absolute path ${quote(linkTarget)}`;
      }
      if (!symlinkStaysInside(parts, linkTarget)) {
        return `${name} is a symbolic link to ${quote(linkTarget)}, outside the source tree`;
      }
    }
    if (entry.type === "Link") {
      // Hard link targets are archive paths, stripped like entry paths.
      const targetParts = linkTarget.split("/");
      const inside =
        !linkTarget.startsWith("/") &&
        !targetParts.includes("..") &&
        targetParts[0] === root &&
        targetParts.slice(1).some((part) => part !== "" && part !== ".");
      if (!inside) return `${name} is a hard link to ${quote(linkTarget)}, outside the source tree`;
    }

    entries++;
    if (entries > limits.maxFiles) {
      return `it holds more than ${limits.maxFiles.toLocaleString("en")} entries (at ${name})`;
    }
    if (entry.size > limits.maxBytes) {
      return `${name} is ${megabytes(entry.size)}, above the ${megabytes(limits.maxBytes)} limit`;
    }
    bytes += entry.size;
    if (bytes > limits.maxBytes) {
      return `its files add up to more than the ${megabytes(limits.maxBytes)} limit (at ${name})`;
    }

    const relative = parts.join("/");
    if (entry.type === "SymbolicLink") symlinks.add(relative);
    else symlinks.delete(relative);
    if (entry.type === "Directory") entry.mode = 0o755;
    else if (entry.type !== "SymbolicLink" && entry.type !== "Link") {
      entry.mode = (entry.mode ?? 0) & 0o111 ? 0o755 : 0o644;
    }
    return undefined;
  }

  return { inspect, totals: () => ({ entries, bytes }) };
}

/** `tar`'s codes for archives it cannot read: truncated, corrupt headers, bad gzip. */
const DAMAGED_ARCHIVE_CODES = new Set(["TAR_BAD_ARCHIVE", "TAR_ENTRY_INVALID", "TAR_ABORT"]);

function describeFailure(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  if (/max decompression ratio exceeded/.test(error.message)) {
    return refused("it decompresses to more than 1,000 times its size");
  }
  const tarCode = (error as { tarCode?: unknown }).tarCode;
  if (typeof tarCode === "string" && DAMAGED_ARCHIVE_CODES.has(tarCode)) {
    return new AppError("UNPROCESSABLE_CONTENT", "The source archive is damaged or not a gzipped tar file.", {
      reason: "SOURCE_ARCHIVE_INVALID",
      cause: error,
    });
  }
  return error;
}

/**
 * Extracts a gzipped tarball into `target` (created here; it must not exist yet, so nothing already on
 * disk can redirect a write), stripping the top-level directory. Refuses, with SOURCE_ARCHIVE_REFUSED
 * naming the entry: absolute paths, `..` segments, entries outside the top-level directory, links
 * leaving the tree, writes through links, devices and FIFOs, and archives over the limits. On any
 * failure or abort `target` is removed and nothing is left behind.
 */
export async function extractSourceArchive(
  archive: Readable | ReadableStream<Uint8Array>,
  target: string,
  options: Partial<ArchiveLimits> & { signal?: AbortSignal } = {},
): Promise<{ entries: number; bytes: number }> {
  const { signal } = options;
  const limits: ArchiveLimits = {
    maxBytes: options.maxBytes ?? DEFAULT_ARCHIVE_LIMITS.maxBytes,
    maxFiles: options.maxFiles ?? DEFAULT_ARCHIVE_LIMITS.maxFiles,
  };
  signal?.throwIfAborted();
  await mkdir(target);

  const source =
    archive instanceof Readable ? archive : Readable.fromWeb(archive as NodeReadableStream<Uint8Array>);
  const inspector = createEntryInspector(limits);
  let refusal: AppError | undefined;
  const unpack = new Unpack({
    cwd: target,
    strip: 1,
    // Every warning (a bad checksum, an entry tar would skip) fails the extraction instead.
    strict: true,
    // As root, tar would otherwise give files the uids and gids written in the archive.
    preserveOwner: false,
    filter: (_path, entry) => {
      if (refusal || !(entry instanceof ReadEntry)) return false;
      const why = inspector.inspect(entry);
      if (why === undefined) return true;
      refusal = refused(why);
      unpack.abort(new Error(refusal.message));
      return false;
    },
  });

  let onAbort: (() => void) | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      const fail = (error: Error) => {
        source.unpipe(unpack);
        source.destroy();
        reject(error);
      };
      // Stays attached: writes already in flight when extraction stops may still report errors.
      unpack.on("error", fail);
      unpack.on("close", resolve);
      source.on("error", fail);
      // A stream destroyed without an error never ends, and tar would wait for the rest forever.
      source.on("close", () => {
        if (!source.readableEnded) fail(new Error("The source archive stream closed before its end."));
      });
      // Aborting tar makes it emit "error", which lands in `fail`.
      onAbort = () => unpack.abort(new Error("extraction aborted"));
      signal?.addEventListener("abort", onAbort, { once: true });
      // The signal may have fired while the target was being created.
      if (signal?.aborted) onAbort();
      source.pipe(unpack);
    });
  } catch (error) {
    // Once the target is gone, writes still in flight fail (tar never recreates its cwd).
    await rm(target, { recursive: true, force: true, maxRetries: 3 });
    if (refusal) throw refusal;
    if (signal?.aborted) throw signal.reason;
    throw describeFailure(error);
  } finally {
    if (onAbort) signal?.removeEventListener("abort", onAbort);
  }
  return inspector.totals();
}
