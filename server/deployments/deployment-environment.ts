/**
 * Additional authenticated data of `deployment.encryptedEnvironment` (purpose "environment-variable"):
 * the snapshot of env values a deployment set on Fly opens only for that deployment.
 */
export function deploymentEnvironmentContext(deploymentId: string): string {
  return `deployment-environment:${deploymentId}`;
}
