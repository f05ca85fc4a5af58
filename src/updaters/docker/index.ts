/** The Docker updater and what the CLI wiring needs alongside it. */
export {
  createDockerCommandExecutor,
  dockerCredentialsFrom,
  createDockerUpdater,
  DockerUpdater,
  UnreproducibleContainerError,
} from './docker-updater.js';
export type { DockerUpdaterOptions } from './docker-updater.js';
export { readFacts, type DockerUpdateFacts } from './facts.js';
export { planRecreate, describeRefusals, type RecreateSpec, type Refusal } from './recreate-spec.js';
