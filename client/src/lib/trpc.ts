import { QueryClient } from "@tanstack/react-query";
import {
  TRPCClientError,
  createTRPCClient,
  httpBatchLink,
  httpSubscriptionLink,
  splitLink,
} from "@trpc/client";
import type { inferRouterOutputs } from "@trpc/server";
import { createTRPCContext } from "@trpc/tanstack-react-query";
import superjson from "superjson";
import type { AppRouter } from "../../../server/trpc/router.ts";

export const { TRPCProvider, useTRPC } = createTRPCContext<AppRouter>();

/** What each procedure answers, as the client sees it (after superjson: dates are Dates). */
export type RouterOutputs = inferRouterOutputs<AppRouter>;

export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        staleTime: 10_000,
        // Retrying a 4xx never helps; retry server and network errors a couple of times.
        retry: (failureCount, error) => {
          const status =
            error instanceof TRPCClientError
              ? (error.data as { httpStatus?: number } | undefined)?.httpStatus
              : undefined;
          return failureCount < 2 && (status === undefined || status >= 500);
        },
      },
    },
  });
}

export function createTrpcClient() {
  return createTRPCClient<AppRouter>({
    links: [
      // Subscriptions (the live deployment log) use server-sent events; EventSource reconnects and
      // sends the last event id, so the stream resumes where it stopped.
      splitLink({
        condition: (operation) => operation.type === "subscription",
        true: httpSubscriptionLink({ url: "/api/trpc", transformer: superjson }),
        false: httpBatchLink({ url: "/api/trpc", transformer: superjson }),
      }),
    ],
  });
}

/** The message and request id of a failed call, ready to show. */
export function describeError(error: unknown): { message: string; requestId?: string } {
  if (error instanceof TRPCClientError) {
    const data = error.data as { requestId?: string | null } | undefined;
    return { message: error.message, requestId: data?.requestId ?? undefined };
  }
  return { message: error instanceof Error ? error.message : "Something went wrong." };
}

/** The API's per-field validation messages (SPEC §6), to show next to the inputs they concern. */
export function fieldErrorsOf(error: unknown): Record<string, string[]> {
  if (!(error instanceof TRPCClientError)) return {};
  const data = error.data as { fieldErrors?: Record<string, string[]> | null } | undefined;
  return data?.fieldErrors ?? {};
}

/** The API's stable reason for a failure (e.g. "ENVIRONMENT_CHANGED_SINCE_PREVIEW"), to branch on. */
export function errorReasonOf(error: unknown): string | undefined {
  if (!(error instanceof TRPCClientError)) return undefined;
  const data = error.data as { reason?: string | null } | undefined;
  return data?.reason ?? undefined;
}

/** The SPEC §6 code of a failed call (e.g. "NOT_FOUND"). */
export function errorCodeOf(error: unknown): string | undefined {
  if (!(error instanceof TRPCClientError)) return undefined;
  const data = error.data as { code?: string | null } | undefined;
  return data?.code ?? undefined;
}

/** The first message for each field, with a prefix such as "settings." removed from nested paths. */
export function firstFieldErrors(fieldErrors: Record<string, string[]>, prefix = ""): Record<string, string> {
  const first: Record<string, string> = {};
  for (const [path, messages] of Object.entries(fieldErrors)) {
    const field = prefix && path.startsWith(prefix) ? path.slice(prefix.length) : path;
    if (messages[0] && !first[field]) first[field] = messages[0];
  }
  return first;
}
