export {
  HelmUpdater,
  readHelmFacts,
  type HelmFacts,
  type HelmLockState,
  type HelmUpdaterOptions,
} from './helm-updater.js';
