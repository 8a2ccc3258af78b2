import { createHash } from "node:crypto";
import type { EmulatorState, ImageBehaviour } from "./state.ts";

/** Docker Hub pulls go through Fly's mirror; this is the registry Fly reports for them in `image_ref`. */
const DOCKER_HUB_MIRROR = "docker-hub-mirror.fly.io";

interface ParsedImage {
  registry: string;
  repository: string;
  tag: string;
  digest: string | undefined;
}

/** Splits `registry/repo:tag@sha256:…`, applying Docker's defaults (Docker Hub, `library/`, `latest`). */
function parseImage(ref: string): ParsedImage {
  const [withoutDigest = ref, digest] = ref.split("@");
  const firstSlash = withoutDigest.indexOf("/");
  const firstPart = firstSlash === -1 ? "" : withoutDigest.slice(0, firstSlash);
  const hasRegistry = firstPart.includes(".") || firstPart.includes(":") || firstPart === "localhost";
  const registry = hasRegistry ? firstPart : DOCKER_HUB_MIRROR;
  let path = hasRegistry ? withoutDigest.slice(firstSlash + 1) : withoutDigest;
  const lastColon = path.lastIndexOf(":");
  let tag = "latest";
  if (lastColon > path.lastIndexOf("/")) {
    tag = path.slice(lastColon + 1);
    path = path.slice(0, lastColon);
  }
  const repository = !hasRegistry && !path.includes("/") ? `library/${path}` : path;
  return { registry, repository, tag, digest };
}

/** One spelling per image so that `nginx` and `docker.io/library/nginx:latest` are the same registration. */
function canonicalImageRef(ref: string): string {
  const image = parseImage(ref.trim());
  const registry = image.registry === "docker.io" ? DOCKER_HUB_MIRROR : image.registry;
  const repository =
    image.registry === "docker.io" && !image.repository.includes("/")
      ? `library/${image.repository}`
      : image.repository;
  return `${registry}/${repository}:${image.tag}${image.digest ? `@${image.digest}` : ""}`;
}

export function registerImage(
  state: EmulatorState,
  input: { ref: string; healthy: boolean; crashLoop: boolean },
  now: number,
): ImageBehaviour {
  const image: ImageBehaviour = { ...input, registeredAt: now };
  state.images.set(canonicalImageRef(input.ref), image);
  return image;
}

/** An image is pullable only when the sandbox registry knows it (the sandbox builder registers what it builds). */
export function findPullableImage(state: EmulatorState, ref: string): ImageBehaviour | undefined {
  return state.images.get(canonicalImageRef(ref));
}

/** The `image_ref` object of a machine; the digest is stable per reference, as a real manifest digest is. */
export function imageRefJson(ref: string): Record<string, unknown> {
  const image = parseImage(ref);
  const digest =
    image.digest ?? `sha256:${createHash("sha256").update(canonicalImageRef(ref)).digest("hex")}`;
  return { registry: image.registry, repository: image.repository, tag: image.tag, digest, labels: {} };
}
