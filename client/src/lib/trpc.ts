import { QueryClient } from "@tanstack/react-query";
import { TRPCClientError, createTRPCClient, httpBatchLink } from "@trpc/client";
import { createTRPCContext } from "@trpc/tanstack-react-query";
import superjson from "superjson";
import type { AppRouter } from "../../../server/trpc/router.ts";

export const { TRPCProvider, useTRPC } = createTRPCContext<AppRouter>();

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
    links: [httpBatchLink({ url: "/api/trpc", transformer: superjson })],
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
