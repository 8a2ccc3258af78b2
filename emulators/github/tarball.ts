import { gzipSync } from "node:zlib";

/**
 * A gzip'd ustar archive laid out like GitHub's tarballs: a pax global header carrying the commit sha
 * (as `git archive` writes it), then everything under `{owner}-{repo}-{sha7}/`.
 */

const BLOCK = 512;

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, "0")}\0`;
}

function header(input: {
  name: string;
  size: number;
  type: "0" | "5" | "g";
  mode: number;
  mtime: number;
}): Buffer {
  const block = Buffer.alloc(BLOCK);
  let name = input.name;
  let prefix = "";
  if (Buffer.byteLength(name) > 100) {
    // ustar splits long paths at a "/" into prefix (155 bytes) and name (100 bytes).
    const cut = name.lastIndexOf("/", name.length - 1 - (input.type === "5" ? 1 : 0));
    prefix = name.slice(0, cut);
    name = name.slice(cut + 1);
    if (Buffer.byteLength(name) > 100 || Buffer.byteLength(prefix) > 155) {
      throw new Error(`path too long for a tarball: ${input.name}`);
    }
  }
  block.write(name, 0, 100, "utf8");
  block.write(octal(input.mode, 8), 100, 8, "ascii");
  block.write(octal(0, 8), 108, 8, "ascii");
  block.write(octal(0, 8), 116, 8, "ascii");
  block.write(octal(input.size, 12), 124, 12, "ascii");
  block.write(octal(input.mtime, 12), 136, 12, "ascii");
  block.write("        ", 148, 8, "ascii");
  block.write(input.type, 156, 1, "ascii");
  block.write("ustar\0", 257, 6, "ascii");
  block.write("00", 263, 2, "ascii");
  block.write("root", 265, 32, "ascii");
  block.write("root", 297, 32, "ascii");
  block.write(prefix, 345, 155, "utf8");
  let checksum = 0;
  for (const byte of block) checksum += byte;
  block.write(`${checksum.toString(8).padStart(6, "0")}\0 `, 148, 8, "ascii");
  return block;
}

function padded(data: Buffer): Buffer[] {
  const remainder = data.length % BLOCK;
  return remainder === 0 ? [data] : [data, Buffer.alloc(BLOCK - remainder)];
}

function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let length = body.length + 1;
  while (`${length}${body}`.length !== length) length = `${length}${body}`.length;
  return `${length}${body}`;
}

export function buildTarball(input: {
  root: string;
  sha: string;
  /** Commit time, seconds. */
  mtime: number;
  files: ReadonlyMap<string, string>;
}): Buffer {
  const parts: Buffer[] = [];
  const pax = Buffer.from(paxRecord("comment", input.sha));
  parts.push(
    header({ name: "pax_global_header", size: pax.length, type: "g", mode: 0o666, mtime: input.mtime }),
  );
  parts.push(...padded(pax));

  const directories = new Set<string>([""]);
  for (const path of input.files.keys()) {
    const segments = path.split("/");
    for (let i = 1; i < segments.length; i++) directories.add(segments.slice(0, i).join("/"));
  }
  const entries = [
    ...[...directories].map((dir) => ({ path: dir === "" ? "" : `${dir}/`, content: undefined })),
    ...[...input.files].map(([path, content]) => ({ path, content })),
  ].sort((a, b) => (a.path < b.path ? -1 : 1));

  for (const entry of entries) {
    const name = `${input.root}/${entry.path}`;
    if (entry.content === undefined) {
      parts.push(header({ name, size: 0, type: "5", mode: 0o775, mtime: input.mtime }));
      continue;
    }
    const data = Buffer.from(entry.content, "utf8");
    const mode = entry.path.endsWith(".sh") ? 0o775 : 0o664;
    parts.push(header({ name, size: data.length, type: "0", mode, mtime: input.mtime }));
    parts.push(...padded(data));
  }
  parts.push(Buffer.alloc(BLOCK * 2));
  return gzipSync(Buffer.concat(parts));
}
