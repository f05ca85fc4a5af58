/**
 * One asset from "what runs" to "what a run would do": look up its versions, find newer ones of its
 * family (or a new digest of a moving tag), and let its policy decide. The update workflow calls it with
 * an explicit target version. A lookup that fails is a result of its own (`lookup-failed`), never an
 * empty list of versions.
 */
import type { Asset, Candidate, Decision } from '../core/model.js';
import type { Clock } from '../core/clock.js';
import { errorMessage, isSafeUpdaterError } from '../core/errors.js';
import { datasourceFor, type DatasourceMap } from '../datasources/index.js';
import type { Datasource, Release } from '../datasources/types.js';
import type { Journal } from '../state/types.js';
import { classifyUpdate, newerVersions, parseVersion } from '../versioning/candidates.js';
import { compareTags, isComparable, type ParsedTag } from '../versioning/tag.js';
import { policyForAsset, priorityOf } from '../policy/annotations.js';
import { decide, type AssetState } from '../policy/decide.js';
import type { CompiledPolicy, PolicyBook } from '../policy/policies.js';

export type AssetStatus =
  /** A newer version (or digest) exists; see `decision`. */
  | 'update-available'
  | 'up-to-date'
  /** The registry or chart repository failed (exit 5): we do not know whether an update exists. */
  | 'lookup-failed'
  /** The repository, chart or asked-for version does not exist. */
  | 'not-found'
  /** Nothing says where newer versions come from. */
  | 'no-source'
  /** The running tag is not a version (a sha) and has no digest to track. */
  | 'unversioned'
  /** The asset's policy (or its annotation) is invalid. */
  | 'invalid-policy';

export interface AssetEvaluation {
  asset: Asset;
  status: AssetStatus;
  policy?: string;
  /** The newest newer version of the asset's family, whatever the policy says. */
  newestAvailable?: Candidate;
  /** What a run would do: the newest automatic update, else the newest needing approval, else the newest blocked. */
  decision?: Decision;
  /** Why the status is not a plain answer (lookup error, missing source, invalid policy). */
  problem?: string;
}

export interface EvaluationDeps {
  datasources: DatasourceMap;
  policies: PolicyBook;
  /** For paused flags and failed-version memory; without it, nothing is paused and nothing failed. */
  journal?: Pick<Journal, 'getAsset' | 'failedVersions'>;
  clock: Clock;
  signal?: AbortSignal;
  /** Candidates whose release time is fetched for minimum-age policies (each costs requests). */
  maxReleaseTimeLookups?: number;
}

export interface EvaluateOptions {
  /** Judge this version instead of searching the newest (the `update --to-version` path). */
  targetVersion?: string;
}

async function assetState(asset: Asset, journal: EvaluationDeps['journal']): Promise<AssetState> {
  if (!journal) return { paused: false, pausedReason: null, failedVersions: [] };
  const [row, failedVersions] = await Promise.all([
    journal.getAsset(asset.id),
    journal.failedVersions(asset.id),
  ]);
  return { paused: row?.paused ?? false, pausedReason: row?.pausedReason ?? null, failedVersions };
}

interface Context {
  asset: Asset;
  policy: CompiledPolicy;
  state: AssetState;
  datasource: Datasource;
  deps: EvaluationDeps;
}

async function releasedAt(ctx: Context, release: Release): Promise<Date | undefined> {
  if (
    release.releasedAt ||
    ctx.policy.minAgeMs === undefined ||
    !ctx.datasource.getReleasedAt ||
    !ctx.asset.source
  ) {
    return release.releasedAt;
  }
  return ctx.datasource.getReleasedAt(ctx.asset.source, release.version, ctx.deps.signal);
}

function candidateOf(
  ctx: Context,
  target: { version: string; digest?: string },
  updateType: Candidate['updateType'],
  at?: Date,
): Candidate {
  return {
    assetId: ctx.asset.id,
    current: ctx.asset.current,
    target,
    updateType,
    ...(at ? { releasedAt: at } : {}),
    priority: priorityOf(ctx.asset, updateType),
  };
}

function judge(ctx: Context, candidate: Candidate, parsed?: ParsedTag): Decision {
  return decide({
    asset: ctx.asset,
    candidate,
    ...(parsed ? { parsed } : {}),
    policy: ctx.policy,
    state: ctx.state,
    now: ctx.deps.clock.now(),
  });
}

/** A moving tag (latest) or an unversioned one: compare the digest it points to now with the running one. */
async function evaluateDigest(ctx: Context, base: AssetEvaluation): Promise<AssetEvaluation> {
  const { asset, datasource } = ctx;
  if (!asset.current.digest || !datasource.getDigest || !asset.source) {
    return {
      ...base,
      status: 'unversioned',
      problem: `'${asset.current.version}' is not a version and its running digest is unknown`,
    };
  }
  const digest = await datasource.getDigest(asset.source, asset.current.version, ctx.deps.signal);
  if (digest === undefined)
    return { ...base, status: 'not-found', problem: `tag '${asset.current.version}' no longer exists` };
  if (digest === asset.current.digest) return { ...base, status: 'up-to-date' };
  const candidate = candidateOf(ctx, { version: asset.current.version, digest }, 'digest');
  return { ...base, status: 'update-available', newestAvailable: candidate, decision: judge(ctx, candidate) };
}

async function evaluateTarget(
  ctx: Context,
  base: AssetEvaluation,
  releases: Release[],
  version: string,
): Promise<AssetEvaluation> {
  const { asset, datasource } = ctx;
  const release = releases.find((r) => r.version === version);
  if (!release)
    return { ...base, status: 'not-found', problem: `version '${version}' does not exist for ${asset.id}` };
  // Images are pinned by digest; a chart version is its own identity (an OCI chart's manifest digest is not
  // something helm upgrade takes).
  const digest =
    datasource.getDigest && asset.source?.type === 'oci-image'
      ? await datasource.getDigest(asset.source, version, ctx.deps.signal)
      : undefined;
  const current = parseVersion(asset.current.version, ctx.policy.filter.extract);
  const parsed = parseVersion(version, ctx.policy.filter.extract);
  if (version === asset.current.version) {
    const candidate = candidateOf(ctx, { version, ...(digest ? { digest } : {}) }, 'digest');
    const decision = judge(ctx, candidate, parsed);
    if (digest && digest === asset.current.digest)
      decision.reasons.push(`${asset.id} already runs ${version} at this digest`);
    return { ...base, status: 'update-available', decision };
  }
  const comparable = current && parsed && isComparable(current) && isComparable(parsed);
  const updateType = comparable ? classifyUpdate(current, parsed) : 'major';
  const candidate = candidateOf(
    ctx,
    { version, ...(digest ? { digest } : {}) },
    updateType,
    await releasedAt(ctx, release),
  );
  const decision = judge(ctx, candidate, parsed);
  if (!comparable) {
    decision.reasons.push(
      `'${asset.current.version}' and '${version}' cannot be compared as versions; treated as a major change`,
    );
  } else if (current.family !== parsed.family) {
    decision.reasons.push(`note: '${version}' is another tag family than '${asset.current.version}'`);
  }
  if (comparable && compareTags(parsed, current) < 0) {
    decision.verdict = 'blocked';
    decision.reasons.push(`${version} is older than the running ${asset.current.version} (a downgrade)`);
  }
  return { ...base, status: 'update-available', decision };
}

async function evaluateNewest(
  ctx: Context,
  base: AssetEvaluation,
  releases: Release[],
): Promise<AssetEvaluation> {
  const newer = newerVersions(ctx.asset.current.version, releases, ctx.policy.filter);
  if (newer.length === 0) return { ...base, status: 'up-to-date' };
  const decisions: Decision[] = [];
  let timeLookups = ctx.deps.maxReleaseTimeLookups ?? 10;
  for (const { release, parsed, updateType } of newer) {
    const mayFetch = timeLookups > 0 || release.releasedAt !== undefined;
    if (ctx.policy.minAgeMs !== undefined && release.releasedAt === undefined) timeLookups--;
    const at = mayFetch ? await releasedAt(ctx, release) : release.releasedAt;
    const target = { version: release.version, ...(release.digest ? { digest: release.digest } : {}) };
    const decision = judge(ctx, candidateOf(ctx, target, updateType, at), parsed);
    decisions.push(decision);
    if (decision.verdict === 'auto') break;
  }
  const [newest] = decisions;
  if (!newest) return { ...base, status: 'up-to-date' };
  const chosen =
    decisions.find((d) => d.verdict === 'auto') ??
    decisions.find((d) => d.verdict === 'needs-approval') ??
    newest;
  if (chosen !== newest) {
    chosen.reasons.push(
      `newest is ${newest.candidate.target.version} (${newest.verdict}: ${newest.reasons[newest.reasons.length - 1]})`,
    );
  }
  return { ...base, status: 'update-available', newestAvailable: newest.candidate, decision: chosen };
}

export async function evaluateAsset(
  asset: Asset,
  deps: EvaluationDeps,
  options: EvaluateOptions = {},
): Promise<AssetEvaluation> {
  const base: AssetEvaluation = { asset, status: 'up-to-date' };
  let policy: CompiledPolicy;
  try {
    policy = policyForAsset(asset, deps.policies);
  } catch (error) {
    return { ...base, status: 'invalid-policy', problem: errorMessage(error) };
  }
  const withPolicy = { ...base, policy: policy.name };
  if (!asset.source) {
    return {
      ...withPolicy,
      status: 'no-source',
      problem: `nothing says where newer versions of ${asset.id} come from; add it to the config's assets with a source`,
    };
  }
  try {
    const ctx: Context = {
      asset,
      policy,
      state: await assetState(asset, deps.journal),
      datasource: datasourceFor(deps.datasources, asset.source),
      deps,
    };
    const current = parseVersion(asset.current.version, policy.filter.extract);
    if (!options.targetVersion && (!current || !isComparable(current)))
      return await evaluateDigest(ctx, withPolicy);
    const list = await ctx.datasource.getReleases(asset.source, deps.signal);
    if (!list)
      return { ...withPolicy, status: 'not-found', problem: `${describeSource(asset)} does not exist` };
    return options.targetVersion
      ? await evaluateTarget(ctx, withPolicy, list.releases, options.targetVersion)
      : await evaluateNewest(ctx, withPolicy, list.releases);
  } catch (error) {
    if (isSafeUpdaterError(error) && error.exitCode === 2)
      return { ...withPolicy, status: 'invalid-policy', problem: error.message };
    return { ...withPolicy, status: 'lookup-failed', problem: errorMessage(error) };
  }
}

export function describeSource(asset: Asset): string {
  const source = asset.source;
  if (!source) return 'no source';
  switch (source.type) {
    case 'helm-repo':
      return `chart ${source.chart} in ${source.repoUrl}`;
    case 'oci-chart':
      return `chart ${source.ref}`;
    case 'oci-image':
      return `image repository ${source.image}`;
  }
}
