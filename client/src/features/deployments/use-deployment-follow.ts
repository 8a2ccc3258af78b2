import { useQueryClient } from "@tanstack/react-query";
import { useSubscription } from "@trpc/tanstack-react-query";
import { useState } from "react";
import { useTRPC } from "../../lib/trpc.ts";
import type { LogLine } from "./deployment-types.ts";

type Log = { lines: LogLine[]; lastSeq: number; received: boolean };

/**
 * The live log and status of a deployment over SSE (`deployment.follow`). Lines are collected here;
 * each event's deployment replaces the cached `deployment.byId`, so whatever shows it stays current.
 * The server ends the stream once the deployment is terminal and every line has been sent.
 */
export function useDeploymentFollow({
  organizationId,
  deploymentId,
}: {
  organizationId: string;
  deploymentId: string;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [log, setLog] = useState<Log>({ lines: [], lastSeq: 0, received: false });
  const subscription = useSubscription(
    trpc.deployment.follow.subscriptionOptions(
      { organizationId, deploymentId },
      {
        enabled: deploymentId !== "",
        onData: ({ data }) => {
          queryClient.setQueryData(
            trpc.deployment.byId.queryKey({ organizationId, deploymentId }),
            data.deployment,
          );
          // A restarted stream (retry, remount) replays from the start: keep each line once.
          setLog((current) => {
            const fresh = data.lines.filter((line) => line.seq > current.lastSeq);
            if (fresh.length === 0) return current.received ? current : { ...current, received: true };
            return {
              lines: [...current.lines, ...fresh],
              lastSeq: fresh.at(-1)?.seq ?? current.lastSeq,
              received: true,
            };
          });
        },
      },
    ),
  );

  return {
    lines: log.lines,
    /** Whether the first event has arrived (until then the log is loading). */
    received: log.received,
    /** A stream that failed for good (e.g. the deployment is gone); `retry` starts it again. */
    error: subscription.status === "error" ? subscription.error : null,
    /** Connection lost; the link reconnects by itself and resumes after the last line. */
    reconnecting: subscription.status === "connecting" && subscription.error !== null,
    retry: () => subscription.reset(),
  };
}
