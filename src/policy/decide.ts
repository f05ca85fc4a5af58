/**
 * One candidate, one policy → a Decision with its reasons in words. The update type picks the verdict
 * (allow → auto, approve → needs-approval, otherwise blocked); then every gate that refuses adds its
 * reason and blocks: a paused or monitor-only asset, a version that failed before, a pin, a minimum
 * release age, update windows. All reasons are kept, so `plan` explains everything at once.
 */
import type { Asset, Candidate, Decision, Verdict } from '../core/model.js';
import { describeVersion } from '../core/model.js';
import type { FailedVersion } from '../state/types.js';
import { formatDuration } from '../config/duration.js';
import type { ParsedTag } from '../versioning/tag.js';
import type { CompiledPolicy } from './policies.js';

export interface AssetState {
  paused: boolean;
  pausedReason: string | null;
  failedVersions: readonly FailedVersion[];
}

export interface DecisionInput {
  asset: Asset;
  candidate: Candidate;
  /** The target read as a version (undefined for digest updates). */
  parsed?: ParsedTag;
  policy: CompiledPolicy;
  state: AssetState;
  now: Date;
}

function failedBefore(state: AssetState, candidate: Candidate): FailedVersion | undefined {
  return state.failedVersions.find(
    (f) =>
      f.version === candidate.target.version &&
      (candidate.updateType !== 'digest' || f.digest === null || f.digest === candidate.target.digest),
  );
}

export function decide(input: DecisionInput): Decision {
  const { asset, candidate, policy, state, now } = input;
  const target = describeVersion(candidate.target);
  const type = candidate.updateType;
  const reasons: string[] = [];
  let verdict: Verdict;
  if (policy.allow.has(type)) {
    verdict = 'auto';
    reasons.push(`${type} update allowed by policy '${policy.name}'`);
  } else if (policy.approve.has(type)) {
    verdict = 'needs-approval';
    reasons.push(`${type} update needs an approval under policy '${policy.name}'`);
  } else {
    verdict = 'blocked';
    reasons.push(`${type} updates are not allowed by policy '${policy.name}'`);
  }
  const block = (reason: string): void => {
    verdict = 'blocked';
    reasons.push(reason);
  };
  if (state.paused) block(`asset is paused${state.pausedReason ? `: ${state.pausedReason}` : ''}`);
  if (asset.monitorOnly) block('asset is monitor-only: updates are reported, never applied');
  const failed = failedBefore(state, candidate);
  if (failed) {
    block(`${target} failed before (${failed.at.toISOString()}: ${failed.reason}); reset it to retry`);
  }
  if (policy.pin && (!input.parsed || !policy.pin.accepts(input.parsed))) {
    block(`${candidate.target.version} is outside the pin '${policy.pin.text}'`);
  }
  if (policy.minAgeMs !== undefined) {
    if (!candidate.releasedAt) {
      block(
        `release time of ${target} is unknown; policy '${policy.name}' needs a minimum age of ${formatDuration(policy.minAgeMs)}`,
      );
    } else {
      const age = now.getTime() - candidate.releasedAt.getTime();
      if (age < policy.minAgeMs) {
        block(
          `${target} was released ${formatDuration(Math.max(0, age))} ago; policy '${policy.name}' waits ${formatDuration(policy.minAgeMs)}`,
        );
      }
    }
  }
  if (policy.windows.length > 0 && !policy.windows.some((w) => w.isOpen(now))) {
    const next = policy.windows
      .map((w) => w.nextOpening(now))
      .filter((d): d is Date => d !== undefined)
      .sort((a, b) => a.getTime() - b.getTime())[0];
    block(
      `outside the update windows (${policy.windows.map((w) => w.text).join(', ')})${next ? `; next opens ${next.toISOString()}` : ''}`,
    );
  }
  return { candidate, verdict, reasons };
}
