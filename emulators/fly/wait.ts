import type { EmulatorContext, Machine, MachineState } from "./state.ts";

export const WAITABLE_STATES = ["started", "stopped", "suspended", "destroyed", "failed", "settled"] as const;
export type WaitableState = (typeof WAITABLE_STATES)[number];

const TRANSIENT_STATES: ReadonlySet<MachineState> = new Set([
  "starting",
  "stopping",
  "suspending",
  "replacing",
  "destroying",
]);

export type WaitOutcome =
  | { kind: "reached"; state: string; version: string; eventId: string | undefined }
  | { kind: "timeout" }
  | { kind: "gone" };

interface Reached {
  state: string;
  version: string;
}

function matchCurrent(machine: Machine, wanted: readonly WaitableState[]): Reached | undefined {
  const state = machine.state;
  const matches = wanted.some((candidate) =>
    candidate === "settled" ? !TRANSIENT_STATES.has(state) : candidate === state,
  );
  return matches ? { state, version: machine.instanceId } : undefined;
}

/**
 * A wait names a version when it cares which one. A version whose update failed counts as `failed`; for
 * any other wanted state the machine's current (reverted) version answers, so callers must compare the
 * returned version. A replaced version is gone for good and satisfies `stopped`, `destroyed` and `settled`.
 */
function evaluateWait(
  machine: Machine,
  wanted: readonly WaitableState[],
  version: string | undefined,
): Reached | undefined {
  if (!version || version === machine.instanceId) return matchCurrent(machine, wanted);
  const record = machine.versions.find((candidate) => candidate.version === version);
  if (!record) return undefined;
  if (record.status === "failed") {
    if (wanted.includes("failed") || wanted.includes("settled")) return { state: "failed", version };
    return matchCurrent(machine, wanted);
  }
  const finished = wanted.some(
    (state) => state === "stopped" || state === "destroyed" || state === "settled",
  );
  return finished ? { state: "replaced", version } : undefined;
}

/** Long-polls until the machine matches, the (emulated) timeout passes, or the client or the state goes away. */
export function waitForMachine(
  ctx: EmulatorContext,
  machine: Machine,
  request: {
    wanted: readonly WaitableState[];
    version: string | undefined;
    timeoutMs: number;
    signal: AbortSignal;
  },
): Promise<WaitOutcome> {
  return new Promise((resolve) => {
    const changes = ctx.state.machineChanges;
    const finish = (outcome: WaitOutcome) => {
      cancelTimeout();
      changes.off("change", onChange);
      changes.off("reset", onReset);
      request.signal.removeEventListener("abort", onReset);
      resolve(outcome);
    };
    const evaluate = () => {
      const reached = evaluateWait(machine, request.wanted, request.version);
      if (reached) finish({ kind: "reached", ...reached, eventId: machine.events.at(-1)?.id });
    };
    const onChange = (machineId: string) => {
      if (machineId === machine.id) evaluate();
    };
    const onReset = () => finish({ kind: "gone" });
    const cancelTimeout = ctx.clock.schedule(request.timeoutMs, () => finish({ kind: "timeout" }));
    changes.on("change", onChange);
    changes.on("reset", onReset);
    request.signal.addEventListener("abort", onReset);
    evaluate();
  });
}
