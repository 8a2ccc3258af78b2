import { accountRouter } from "../account/account.router.ts";
import { flyCredentialRouter } from "../fly/fly-credential.router.ts";
import { githubRouter } from "../github/github.router.ts";
import { deploymentRouter } from "../deployments/deployment.router.ts";
import { environmentVariableRouter } from "../projects/environment-variable.router.ts";
import { projectRouter } from "../projects/project.router.ts";
import { organizationRouter } from "../organizations/organization.router.ts";
import { webhookInboxRouter } from "../webhooks/webhook-inbox.router.ts";
import { createCallerFactory, router } from "./init.ts";

export const appRouter = router({
  account: accountRouter,
  organization: organizationRouter,
  github: githubRouter,
  flyCredential: flyCredentialRouter,
  webhookDelivery: webhookInboxRouter,
  project: projectRouter,
  environmentVariable: environmentVariableRouter,
  deployment: deploymentRouter,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
