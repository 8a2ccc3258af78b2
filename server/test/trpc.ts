// What a tRPC call refused with, as a test wants to compare it: code, reason and field errors.
import { TRPCError } from "@trpc/server";

export type Failure = { code: string; reason: unknown; fieldErrors: unknown; message: string };

export async function failure(promise: Promise<unknown>): Promise<Failure> {
  try {
    await promise;
  } catch (error) {
    if (!(error instanceof TRPCError)) throw error;
    const cause = error.cause as { reason?: unknown; fieldErrors?: unknown; issues?: unknown } | undefined;
    const fieldErrors: Record<string, string[]> | undefined = cause?.fieldErrors as never;
    if (!fieldErrors && Array.isArray(cause?.issues)) {
      const collected: Record<string, string[]> = {};
      for (const issue of cause.issues as { path: string[]; message: string }[]) {
        (collected[issue.path.join(".")] ??= []).push(issue.message);
      }
      return { code: error.code, reason: cause?.reason, fieldErrors: collected, message: error.message };
    }
    return { code: error.code, reason: cause?.reason, fieldErrors, message: error.message };
  }
  throw new Error("expected the call to fail");
}
