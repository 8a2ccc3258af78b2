// Source archive extraction against real archives: a good one in GitHub's layout, and hostile ones
// written block by block with tar's Header (tar's create API refuses to write most of them).
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { createGzip, gzipSync } from "node:zlib";
import { Header, type HeaderData } from "tar";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AppError } from "../errors.ts";
import { createWorkspace, extractSourceArchive, removeWorkspace } from "./source-archive.ts";

const ROOT = "acme-web-0123abc";

type Entry = HeaderData & { body?: Buffer | string };

function block(data: HeaderData): Buffer {
  const header = new Header({ mode: 0o644, mtime: new Date(0), uid: 0, gid: 0, ...data });
  const buffer = Buffer.alloc(512);
  header.encode(buffer);
  return buffer;
}

function padded(body: Buffer): Buffer {
  const remainder = body.length % 512;
  return remainder === 0 ? body : Buffer.concat([body, Buffer.alloc(512 - remainder)]);
}

/** A raw (uncompressed) tar: one header block per entry, its body padded to 512 bytes, two zero blocks. */
function rawTar(entries: Entry[]): Buffer {
  const parts = entries.flatMap(({ body, ...data }) => {
    const content = typeof body === "string" ? Buffer.from(body) : (body ?? Buffer.alloc(0));
    return [block({ size: content.length, ...data }), padded(content)];
  });
  return Buffer.concat([...parts, Buffer.alloc(1024)]);
}

const archive = (entries: Entry[]) => Readable.from([gzipSync(rawTar(entries))]);

/** Every path under `dir`, relative, sorted, without following links: what is on disk. */
async function listTree(dir: string, prefix = ""): Promise<string[]> {
  const paths: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    paths.push(`${prefix}${entry.name}`);
    if (entry.isDirectory()) {
      paths.push(...(await listTree(path.join(dir, entry.name), `${prefix}${entry.name}/`)));
    }
  }
  return paths.sort();
}

describe("source archive extraction", () => {
  let sandbox: string;
  let workspace: string;
  let target: string;

  beforeEach(async () => {
    // sandbox/workspace/source is the target; anything escaping it would land in workspace or sandbox.
    sandbox = await mkdtemp(path.join(tmpdir(), "hangar-archive-test-"));
    workspace = path.join(sandbox, "workspace");
    await mkdir(workspace);
    target = path.join(workspace, "source");
  });
  afterEach(() => rm(sandbox, { recursive: true, force: true }));

  it("extracts GitHub's layout: top-level directory stripped, nested dirs, in-tree links, executable bits", async () => {
    const script = "#!/bin/sh\necho hi\n";
    const result = await extractSourceArchive(
      archive([
        { path: "pax_global_header", type: "GlobalExtendedHeader", body: `52 comment=${"a".repeat(40)}\n` },
        { path: `${ROOT}/`, type: "Directory", mode: 0o775 },
        { path: `${ROOT}/README.md`, body: "# web\n", mode: 0o664 },
        { path: `${ROOT}/bin/`, type: "Directory", mode: 0o775 },
        { path: `${ROOT}/bin/start.sh`, body: script, mode: 0o775 },
        { path: `${ROOT}/src/lib/deep/`, type: "Directory" },
        { path: `${ROOT}/src/lib/deep/index.js`, body: "export {};\n" },
        { path: `${ROOT}/docs/readme-link`, type: "SymbolicLink", linkpath: "../README.md" },
        { path: `${ROOT}/start`, type: "SymbolicLink", linkpath: "bin/start.sh" },
        { path: `${ROOT}/lib`, type: "SymbolicLink", linkpath: "src/lib" },
        { path: `${ROOT}/README.copy`, type: "Link", linkpath: `${ROOT}/README.md` },
        { path: `${ROOT}/setuid`, body: "x", mode: 0o4755 },
      ]),
      target,
    );

    expect(await listTree(target)).toEqual([
      "README.copy",
      "README.md",
      "bin",
      "bin/start.sh",
      "docs",
      "docs/readme-link",
      "lib",
      "setuid",
      "src",
      "src/lib",
      "src/lib/deep",
      "src/lib/deep/index.js",
      "start",
    ]);
    expect(result).toEqual({ entries: 11, bytes: 6 + script.length + 11 + 1 });
    expect(await readFile(path.join(target, "docs/readme-link"), "utf8")).toBe("# web\n");
    expect(await readlink(path.join(target, "start"))).toBe("bin/start.sh");
    expect(await readFile(path.join(target, "lib/deep/index.js"), "utf8")).toBe("export {};\n");
    expect(await readFile(path.join(target, "start"), "utf8")).toBe(script);
    expect(await readFile(path.join(target, "README.copy"), "utf8")).toBe("# web\n");
    expect((await stat(path.join(target, "README.md"))).nlink).toBe(2);
    expect((await stat(path.join(target, "bin/start.sh"))).mode & 0o111).toBe(0o111);
    expect((await stat(path.join(target, "README.md"))).mode & 0o111).toBe(0);
    // Only permission bits survive: no setuid from an archive.
    expect((await stat(path.join(target, "setuid"))).mode & 0o7000).toBe(0);
    expect(await listTree(sandbox)).toEqual([
      "workspace",
      "workspace/source",
      ...(await listTree(target)).map((p) => `workspace/source/${p}`),
    ]);
  });

  const hostile: { name: string; entries: Entry[]; entry: string; why: RegExp }[] = [
    {
      name: "a `..` segment",
      entries: [{ path: `${ROOT}/../evil`, body: "pwned" }],
      entry: `${ROOT}/../evil`,
      why: /contains a "\.\." segment/,
    },
    {
      name: "a top-level `..`",
      entries: [{ path: "../evil", body: "pwned" }],
      entry: "../evil",
      why: /contains a "\.\." segment/,
    },
    {
      name: "an absolute path",
      entries: [
        { path: `${ROOT}/ok`, body: "fine" },
        { path: "/etc/passwd", body: "root::0:0::/:/bin/sh\n" },
      ],
      entry: "/etc/passwd",
      why: /is an absolute path/,
    },
    {
      name: "a second top-level directory",
      entries: [
        { path: `${ROOT}/a`, body: "a" },
        { path: "other-root/a", body: "b" },
      ],
      entry: "other-root/a",
      why: /outside the archive's top-level directory/,
    },
    {
      name: "a symbolic link to an absolute path",
      entries: [{ path: `${ROOT}/etc`, type: "SymbolicLink", linkpath: "/etc" }],
      entry: `${ROOT}/etc`,
      why: /symbolic link to the absolute path "\/etc"/,
    },
    {
      name: "a symbolic link climbing out",
      entries: [{ path: `${ROOT}/a`, type: "SymbolicLink", linkpath: "../../x" }],
      entry: `${ROOT}/a`,
      why: /symbolic link to "\.\.\/\.\.\/x", outside the source tree/,
    },
    {
      name: "a symbolic link climbing out from a subdirectory",
      entries: [{ path: `${ROOT}/sub/a`, type: "SymbolicLink", linkpath: "../../x" }],
      entry: `${ROOT}/sub/a`,
      why: /outside the source tree/,
    },
    {
      name: "a chain of links that only normalises to inside",
      entries: [
        { path: `${ROOT}/up`, type: "SymbolicLink", linkpath: "." },
        { path: `${ROOT}/out`, type: "SymbolicLink", linkpath: "up/.." },
      ],
      entry: `${ROOT}/out`,
      why: /outside the source tree/,
    },
    {
      name: "a file written through an in-tree symbolic link",
      entries: [
        { path: `${ROOT}/sub/`, type: "Directory" },
        { path: `${ROOT}/via`, type: "SymbolicLink", linkpath: "sub" },
        { path: `${ROOT}/via/file`, body: "x" },
      ],
      entry: `${ROOT}/via/file`,
      why: /written through the symbolic link "via"/,
    },
    {
      name: "a hard link escaping with `..`",
      entries: [{ path: `${ROOT}/passwd`, type: "Link", linkpath: `${ROOT}/../../../../etc/passwd` }],
      entry: `${ROOT}/passwd`,
      why: /hard link to .*, outside the source tree/,
    },
    {
      name: "a hard link to an absolute path",
      entries: [{ path: `${ROOT}/passwd`, type: "Link", linkpath: "/etc/passwd" }],
      entry: `${ROOT}/passwd`,
      why: /hard link to "\/etc\/passwd", outside the source tree/,
    },
    {
      name: "a character device",
      entries: [{ path: `${ROOT}/null`, type: "CharacterDevice", devmaj: 1, devmin: 3 }],
      entry: `${ROOT}/null`,
      why: /is a character device; only files, directories and links are allowed/,
    },
    {
      name: "a block device",
      entries: [{ path: `${ROOT}/sda`, type: "BlockDevice", devmaj: 8, devmin: 0 }],
      entry: `${ROOT}/sda`,
      why: /is a block device/,
    },
    {
      name: "a FIFO",
      entries: [{ path: `${ROOT}/pipe`, type: "FIFO" }],
      entry: `${ROOT}/pipe`,
      why: /is a FIFO/,
    },
  ];

  for (const { name, entries, entry, why } of hostile) {
    it(`refuses ${name}, writes nothing outside and removes the target`, async () => {
      const error = await extractSourceArchive(archive(entries), target).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(AppError);
      expect(error).toMatchObject({
        code: "UNPROCESSABLE_CONTENT",
        reason: "SOURCE_ARCHIVE_REFUSED",
        status: 422,
      });
      expect((error as AppError).message).toContain(JSON.stringify(entry));
      expect((error as AppError).message).toMatch(why);
      expect(existsSync(target)).toBe(false);
      expect(await listTree(sandbox)).toEqual(["workspace"]);
    });
  }

  it("refuses a single entry above the size cap", async () => {
    const big = randomBytes(2 * 1024 * 1024);
    const error = await extractSourceArchive(archive([{ path: `${ROOT}/big.bin`, body: big }]), target, {
      maxBytes: 1024 * 1024,
    }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({
      reason: "SOURCE_ARCHIVE_REFUSED",
      message: expect.stringMatching(/"acme-web-0123abc\/big\.bin" is 2\.0 MB, above the 1\.0 MB limit/),
    });
    expect(existsSync(target)).toBe(false);
  });

  it("refuses files that add up to more than the size cap, after starting to write them", async () => {
    const entries = [1, 2, 3].map((n) => ({ path: `${ROOT}/part-${n}.bin`, body: randomBytes(400 * 1024) }));
    const error = await extractSourceArchive(archive(entries), target, { maxBytes: 1024 * 1024 }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toMatchObject({
      reason: "SOURCE_ARCHIVE_REFUSED",
      message: expect.stringContaining(
        'add up to more than the 1.0 MB limit (at "acme-web-0123abc/part-3.bin")',
      ),
    });
    expect(await listTree(sandbox)).toEqual(["workspace"]);
  });

  it("refuses more entries than the file-count cap", async () => {
    const entries = Array.from({ length: 11 }, (_, n) => ({ path: `${ROOT}/file-${n}.txt`, body: "x" }));
    await expect(extractSourceArchive(archive(entries), target, { maxFiles: 10 })).rejects.toMatchObject({
      reason: "SOURCE_ARCHIVE_REFUSED",
      message: expect.stringContaining('more than 10 entries (at "acme-web-0123abc/file-10.txt")'),
    });
    expect(await listTree(sandbox)).toEqual(["workspace"]);
    await extractSourceArchive(archive(entries.slice(0, 10)), target, { maxFiles: 10 });
    expect(await listTree(target)).toHaveLength(10);
  });

  it("refuses a gzip bomb's huge entry from its header, without inflating the rest", async () => {
    const declared = 4 * 1024 * 1024 * 1024;
    let produced = 0;
    function* tarWithHugeFile() {
      yield block({ path: `${ROOT}/bomb.bin`, size: declared });
      const zeros = Buffer.alloc(1024 * 1024);
      for (; produced < declared; produced += zeros.length) yield zeros;
    }
    const started = Date.now();
    const error = await extractSourceArchive(
      Readable.from(tarWithHugeFile()).pipe(createGzip()),
      target,
    ).catch((caught: unknown) => caught);
    expect(error).toMatchObject({
      reason: "SOURCE_ARCHIVE_REFUSED",
      message: expect.stringContaining('"acme-web-0123abc/bomb.bin" is 4096.0 MB, above the 500.0 MB limit'),
    });
    expect(produced).toBeLessThan(64 * 1024 * 1024);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(existsSync(target)).toBe(false);
  });

  it("refuses an entry within the caps that inflates more than 1,000 times (tar's ratio guard)", async () => {
    const declared = 400 * 1024 * 1024;
    let produced = 0;
    function* tarWithZeros() {
      yield block({ path: `${ROOT}/zeros.bin`, size: declared });
      const zeros = Buffer.alloc(1024 * 1024);
      for (; produced < declared; produced += zeros.length) yield zeros;
    }
    await expect(
      extractSourceArchive(Readable.from(tarWithZeros()).pipe(createGzip()), target),
    ).rejects.toMatchObject({
      reason: "SOURCE_ARCHIVE_REFUSED",
      message: expect.stringContaining("1,000 times"),
    });
    expect(produced).toBeLessThan(declared / 4);
    expect(await listTree(sandbox)).toEqual(["workspace"]);
  });

  it("reports damaged or foreign archives as such", async () => {
    await expect(
      extractSourceArchive(Readable.from([Buffer.from("not a tarball at all")]), target),
    ).rejects.toMatchObject({
      code: "UNPROCESSABLE_CONTENT",
      reason: "SOURCE_ARCHIVE_INVALID",
    });
    expect(existsSync(target)).toBe(false);
    const truncated = gzipSync(rawTar([{ path: `${ROOT}/file`, body: randomBytes(4096) }]).subarray(0, 2048));
    await expect(extractSourceArchive(Readable.from([truncated]), target)).rejects.toMatchObject({
      reason: "SOURCE_ARCHIVE_INVALID",
    });
    expect(existsSync(target)).toBe(false);
  });

  it("stops on abort, rethrows the reason and removes what was extracted", async () => {
    const controller = new AbortController();
    const firstEntry = gzipSync(rawTar([{ path: `${ROOT}/first.txt`, body: "first" }]).subarray(0, 1024));
    // All but gzip's 8-byte trailer: the first entry inflates and is written, then the source stalls.
    const stalled = new Readable({ read() {} });
    stalled.push(firstEntry.subarray(0, firstEntry.length - 8));
    const extraction = extractSourceArchive(stalled, target, { signal: controller.signal });
    await expect.poll(() => existsSync(path.join(target, "first.txt"))).toBe(true);
    controller.abort(new Error("deployment cancelled"));
    await expect(extraction).rejects.toThrow("deployment cancelled");
    expect(await listTree(sandbox)).toEqual(["workspace"]);
  });

  it("fails, rather than waiting forever, when the archive stream is destroyed before its end", async () => {
    const cut = new Readable({ read() {} });
    cut.push(gzipSync(rawTar([{ path: `${ROOT}/a.txt`, body: "a" }])).subarray(0, 40));
    const extraction = extractSourceArchive(cut, target);
    setTimeout(() => cut.destroy(), 20);
    await expect(extraction).rejects.toThrow("closed before its end");
    expect(existsSync(target)).toBe(false);
  });

  it("takes a web ReadableStream as fetch returns it", async () => {
    const body = new Response(gzipSync(rawTar([{ path: `${ROOT}/index.html`, body: "<h1>hi</h1>" }]))).body;
    if (!body) throw new Error("no body");
    await extractSourceArchive(body, target);
    expect(await readFile(path.join(target, "index.html"), "utf8")).toBe("<h1>hi</h1>");
  });

  it("refuses to extract into a directory that already exists", async () => {
    await mkdir(target);
    await expect(
      extractSourceArchive(archive([{ path: `${ROOT}/a`, body: "a" }]), target),
    ).rejects.toMatchObject({
      code: "EEXIST",
    });
    expect(existsSync(target)).toBe(true);
  });

  it("creates private workspaces under a root and removes them with everything inside", async () => {
    const root = path.join(sandbox, "scratch");
    const first = await createWorkspace(root);
    const second = await createWorkspace(root);
    expect(first).not.toBe(second);
    expect(path.dirname(first)).toBe(root);
    expect((await stat(first)).mode & 0o777).toBe(0o700);
    await extractSourceArchive(
      archive([{ path: `${ROOT}/a/b/c.txt`, body: "c" }]),
      path.join(first, "source"),
    );
    await removeWorkspace(first);
    expect(existsSync(first)).toBe(false);
    expect((await lstat(second)).isDirectory()).toBe(true);
    await removeWorkspace(first);
  });
});
