/**
 * Aggregation: the updater's own signals (rollout, pods, container state) and the configured checks become
 * one HealthStatus. Any failed part fails the whole; the first failure named is the signal people read.
 */
import type { HealthStatus } from '../core/model.js';
import type { CheckReport } from './checker.js';

export function describeCheckFailure(report: CheckReport): string {
  return `${report.type} check ${report.name} failed after ${report.attempts} attempt${report.attempts === 1 ? '' : 's'}: ${report.message}`;
}

export function aggregateHealth(
  base: HealthStatus | undefined,
  reports: readonly CheckReport[],
): HealthStatus {
  const passed = reports.filter((r) => r.ok).map((r) => r.name);
  const failedReports = reports.filter((r) => !r.ok);
  const checksPassed = [...(base?.checksPassed ?? []), ...passed];
  const checksFailed = [...(base?.checksFailed ?? []), ...failedReports.map((r) => r.name)];
  const firstCheckFailure = failedReports[0];

  let verdict: HealthStatus['verdict'] = base?.verdict ?? 'healthy';
  let signal = base?.verdict === 'failed' ? base.signal : undefined;
  if (firstCheckFailure) {
    verdict = 'failed';
    signal ??= describeCheckFailure(firstCheckFailure);
  }

  const totalReplicas = base?.totalReplicas ?? 0;
  const readyReplicas = base?.readyReplicas ?? 0;
  const checkCount = checksPassed.length + checksFailed.length;
  const healthPercentage =
    base !== undefined
      ? base.healthPercentage
      : checkCount === 0
        ? 100
        : Math.round((checksPassed.length / checkCount) * 100);

  const parts: string[] = [];
  if (base?.message) parts.push(base.message);
  if (reports.length > 0) parts.push(`checks: ${passed.length}/${reports.length} passed`);
  if (firstCheckFailure) parts.push(describeCheckFailure(firstCheckFailure));

  return {
    healthy: verdict === 'healthy',
    verdict,
    readyReplicas,
    totalReplicas,
    healthPercentage,
    checksPassed,
    checksFailed,
    message: parts.join('; ') || 'healthy',
    ...(signal !== undefined ? { signal } : {}),
  };
}
