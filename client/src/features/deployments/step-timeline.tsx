import { DEPLOYMENT_STEPS, type DeploymentStep } from "../../../../server/deployments/deployment.schema.ts";
import { type Deployment, STEP_LABELS, labelOf } from "./deployment-types.ts";
import { formatDuration } from "./format.ts";
import "./deployments.css";

export type StepState = "done" | "current" | "failed" | "cancelled" | "skipped" | "pending" | "not-run";

const STATE_LABELS: Record<StepState, string> = {
  done: "done",
  current: "in progress",
  failed: "failed",
  cancelled: "cancelled",
  skipped: "skipped",
  pending: "waiting",
  "not-run": "not run",
};

/** Rollbacks reuse an image: no source to fetch, nothing to build. */
function isSkipped(deployment: Deployment, step: DeploymentStep): boolean {
  return deployment.trigger === "rollback" && (step === "source" || step === "build");
}

/** Where each pipeline step stands for this deployment. */
export function stepStates(deployment: Deployment): Record<DeploymentStep, StepState> {
  const reached = DEPLOYMENT_STEPS.indexOf((deployment.failedStep ?? deployment.step) as DeploymentStep);
  const states = {} as Record<DeploymentStep, StepState>;
  DEPLOYMENT_STEPS.forEach((step, index) => {
    states[step] = (() => {
      if (isSkipped(deployment, step)) return "skipped";
      switch (deployment.status) {
        case "live":
          return "done";
        case "queued":
          return "pending";
        case "building":
        case "deploying":
          return index < reached ? "done" : index === reached ? "current" : "pending";
        case "failed":
        case "cancelled":
          if (reached < 0) return "not-run";
          if (index < reached) return "done";
          return index === reached ? deployment.status : "not-run";
        default:
          return "not-run";
      }
    })();
  });
  return states;
}

function atStep(step: string | null): string {
  return step ? ` at ${labelOf(STEP_LABELS, step).toLowerCase()}` : "";
}

/** "cancelled before it started" → "Cancelled before it started." */
function sentence(text: string): string {
  const capitalised = text.charAt(0).toUpperCase() + text.slice(1);
  return /[.!?]$/.test(capitalised) ? capitalised : `${capitalised}.`;
}

/** resolve → source → build → secrets → rollout → verify, each with its state in words and marks. */
export function StepTimeline({ deployment, now }: { deployment: Deployment; now: number }) {
  const states = stepStates(deployment);
  return (
    <section aria-labelledby="steps-heading" className="stack-tight">
      <h2 id="steps-heading">Steps</h2>
      <ol className="step-timeline">
        {DEPLOYMENT_STEPS.map((step) => {
          const state = states[step];
          const running = state === "current" && deployment.stepStartedAt;
          return (
            <li
              key={step}
              className={`step step-${state}`}
              aria-current={state === "current" ? "step" : undefined}
            >
              <span className="step-mark" aria-hidden="true" />
              <span className="step-name">{STEP_LABELS[step]}</span>
              <span className="step-state small">
                {STATE_LABELS[state]}
                {running ? ` · ${formatDuration(now - running.getTime())}` : null}
              </span>
            </li>
          );
        })}
      </ol>
      {deployment.status === "failed" ? (
        <p className="step-failure is-failed">
          <strong>Failed{atStep(deployment.failedStep)}:</strong>{" "}
          {deployment.failureReason ?? "no reason was recorded."}
        </p>
      ) : null}
      {deployment.status === "cancelled" ? (
        <p className="step-failure">
          <strong>Cancelled{atStep(deployment.failedStep)}.</strong>{" "}
          {deployment.failureReason && !/^cancelled\.?$/i.test(deployment.failureReason)
            ? sentence(deployment.failureReason)
            : "The app stays on its previous release."}
        </p>
      ) : null}
      {deployment.status === "superseded" ? (
        <p className="muted">A newer deployment of the same app was requested before this one started.</p>
      ) : null}
    </section>
  );
}
