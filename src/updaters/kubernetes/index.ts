export {
  WorkloadUpdater,
  imageWithVersion,
  readWorkloadFacts,
  type WorkloadFacts,
  type WorkloadUpdaterOptions,
} from './workload-updater.js';
