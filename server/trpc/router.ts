import { accountRouter } from "../account/account.router.ts";
import { organizationRouter } from "../organizations/organization.router.ts";
import { createCallerFactory, router } from "./init.ts";

export const appRouter = router({
  account: accountRouter,
  organization: organizationRouter,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
