// The prebuilt-image source (SPEC §5.6): images are built elsewhere (e.g. CI pushing to a registry Fly
// can pull from) and Hangar deploys the reference a template names for the commit. Builds nothing.
import { AppError } from "../../errors.ts";
import { throwIfStopped } from "./build-errors.ts";
import type { Builder, BuildRequest } from "./builder.ts";

const PLACEHOLDERS = ["sha", "short_sha", "label", "app"] as const;
type Placeholder = (typeof PLACEHOLDERS)[number];

const SHORT_SHA_LENGTH = 7;
/** Docker's limit on the name part (registry and repository). */
const MAX_NAME_LENGTH = 255;

// Docker reference grammar (distribution/reference): [registry[:port]/]path[:tag][@digest]. The first
// segment is a registry only if it looks like a host; otherwise it is a lowercase path component.
const DOMAIN_PART = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const DOMAIN = `(?:localhost(?::[0-9]+)?|${DOMAIN_PART}(?:\\.${DOMAIN_PART})+(?::[0-9]+)?|${DOMAIN_PART}:[0-9]+)`;
const PATH_PART = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
const NAME = `(?:${DOMAIN}/)?${PATH_PART}(?:/${PATH_PART})*`;
const TAG = "[\\w][\\w.-]{0,127}";
const DIGEST = "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}";
const REFERENCE = new RegExp(`^(${NAME})(?::${TAG})?(?:@${DIGEST})?$`);

function renderTemplate(template: string, values: Record<Placeholder, string>): string {
  return template.replace(/\{(sha|short_sha|label|app)\}/g, (_match, name: Placeholder) => values[name]);
}

function imageReferenceProblem(reference: string): string | undefined {
  const name = REFERENCE.exec(reference)?.[1];
  if (name === undefined) {
    return "is not an image reference like registry.example.com/team/app:tag (lowercase repository, no spaces)";
  }
  if (name.length > MAX_NAME_LENGTH) return `has a name longer than ${MAX_NAME_LENGTH} characters`;
  return undefined;
}

/** Why a template cannot be used, or undefined when it renders to a valid reference for any commit. */
export function imageTemplateProblem(template: string): string | undefined {
  for (const [, name] of template.matchAll(/\{([^{}]*)\}/g)) {
    if (!PLACEHOLDERS.includes(name as Placeholder)) {
      return `has an unknown placeholder {${name}} (use ${PLACEHOLDERS.map((known) => `{${known}}`).join(", ")})`;
    }
  }
  const sample = "0123456789abcdef0123456789abcdef01234567";
  return imageReferenceProblem(
    renderTemplate(template, {
      sha: sample,
      short_sha: sample.slice(0, SHORT_SHA_LENGTH),
      label: `hangar-1-${sample.slice(0, SHORT_SHA_LENGTH)}`,
      app: "app",
    }),
  );
}

function imageReferenceFor(template: string, request: BuildRequest): string {
  const reference = renderTemplate(template, {
    sha: request.commitSha,
    short_sha: request.commitSha.slice(0, SHORT_SHA_LENGTH),
    label: request.imageLabel,
    app: request.appName,
  });
  const problem = imageReferenceProblem(reference);
  if (problem) {
    throw new AppError("BAD_REQUEST", `The prebuilt image "${reference}" ${problem}.`, {
      reason: "IMAGE_REFERENCE_INVALID",
    });
  }
  return reference;
}

/** `template` is e.g. `ghcr.io/acme/{app}:{sha}`; placeholders {sha}, {short_sha}, {label}, {app}. */
export function createImageBuilder(options: { template: string }): Builder {
  const problem = imageTemplateProblem(options.template);
  if (problem) {
    throw new AppError("BAD_REQUEST", `The image template "${options.template}" ${problem}.`, {
      reason: "IMAGE_TEMPLATE_INVALID",
    });
  }
  return {
    kind: "image",
    build(request) {
      // Async so that a refusal is a rejected promise, as with the other builders.
      return Promise.resolve().then(() => {
        throwIfStopped(request.signal);
        const imageRef = imageReferenceFor(options.template, request);
        request.log(`Using the prebuilt image ${imageRef} (nothing is built)`);
        return { imageRef };
      });
    },
  };
}
