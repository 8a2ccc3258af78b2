import { z } from "zod";

const emptyAsUnset = (value: unknown) => (value === "" ? undefined : value);

const environmentSchema = z.object({
  FLY_EMULATOR_PORT: z.preprocess(emptyAsUnset, z.coerce.number().int().min(0).max(65_535).default(0)),
  FLY_EMULATOR_SEED_ORG: z.preprocess(
    emptyAsUnset,
    z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]*$/, "must be an organization slug (lowercase letters, digits, dashes)")
      .default("personal"),
  ),
  FLY_EMULATOR_SEED_TOKEN: z.preprocess(emptyAsUnset, z.string().min(1).optional()),
  FLY_EMULATOR_TIME_SCALE: z.preprocess(emptyAsUnset, z.coerce.number().positive().max(100_000).default(1)),
});

export interface EmulatorConfig {
  port: number;
  seedOrg: string;
  seedToken: string | undefined;
  timeScale: number;
}

/** The emulator program's configuration; the only place that reads the environment. */
export function loadConfig(
  environment: Record<string, string | undefined> = process.env,
): { ok: true; config: EmulatorConfig } | { ok: false; message: string } {
  const result = environmentSchema.safeParse(environment);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
    return { ok: false, message: `Invalid Fly emulator configuration:\n  ${problems.join("\n  ")}` };
  }
  return {
    ok: true,
    config: {
      port: result.data.FLY_EMULATOR_PORT,
      seedOrg: result.data.FLY_EMULATOR_SEED_ORG,
      seedToken: result.data.FLY_EMULATOR_SEED_TOKEN,
      timeScale: result.data.FLY_EMULATOR_TIME_SCALE,
    },
  };
}
