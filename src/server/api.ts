/**
 * The REST API, version 1, behind `Authorization: Bearer TOKEN` (compared in constant time):
 *   GET  /api/v1/assets                     assets with their latest update
 *   GET  /api/v1/updates?assetId&state&limit
 *   GET  /api/v1/updates/:id                one update with its transitions
 *   POST /api/v1/updates/:id/cancel         a queued update leaves the queue (409 once it runs); body { reason? }
 *   POST /api/v1/assets/ASSET-ID/pause      body { reason? }; asset ids contain slashes and are taken as they are
 *   POST /api/v1/assets/ASSET-ID/resume
 *   GET  /api/v1/queue                      running and queued updates, each with what it waits for
 *   GET  /api/v1/approvals?state&assetId
 *   POST /api/v1/approvals/:id/approve      body { comment? }
 *   POST /api/v1/approvals/:id/reject
 * The actor written to the journal is "api".
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ConflictError, NotFoundError, UsageError } from '../core/errors.js';
import { UPDATE_STATES, type UpdateState } from '../core/update-state.js';
import { cancelQueuedUpdate } from '../orchestrator/run-update.js';
import type { ApprovalState } from '../state/types.js';
import { refuseWithoutToken } from './auth.js';
import type { ServerDeps } from './app.js';

const ACTOR = 'api';
const APPROVAL_STATES: readonly ApprovalState[] = ['pending', 'approved', 'rejected', 'expired'];

type Query = Record<string, string | undefined>;

function optionalText(body: unknown, key: string): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const value = (body as Record<string, unknown>)[key];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

export async function registerApi(
  api: FastifyInstance,
  deps: ServerDeps & Required<Pick<ServerDeps, 'clock'>>,
): Promise<void> {
  api.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) =>
    refuseWithoutToken(request, reply, deps.apiTokens),
  );

  api.get('/assets', async () => {
    const [assets, latest] = await Promise.all([
      deps.journal.listAssets(),
      deps.journal.latestUpdatePerAsset(),
    ]);
    return { assets: assets.map((asset) => ({ ...asset, latestUpdate: latest.get(asset.id) ?? null })) };
  });

  api.get('/updates', async (request) => {
    const query = request.query as Query;
    const states = query.state?.split(',').filter((state) => state.length > 0);
    const unknown = states?.find((state) => !(UPDATE_STATES as readonly string[]).includes(state));
    if (unknown !== undefined) {
      throw new UsageError(`unknown state '${unknown}'; one of ${UPDATE_STATES.join(', ')}`);
    }
    const limit = query.limit === undefined ? 100 : Number(query.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
      throw new UsageError('limit must be an integer from 1 to 1000');
    }
    const updates = await deps.journal.listUpdates({
      ...(query.assetId ? { assetId: query.assetId } : {}),
      ...(states && states.length > 0 ? { states: states as UpdateState[] } : {}),
      limit,
    });
    return { updates };
  });

  api.get('/updates/:id', async (request) => {
    const { id } = request.params as { id: string };
    const update = await deps.journal.getUpdate(id);
    if (!update) throw new NotFoundError(`no update ${id}`);
    return { update, transitions: await deps.journal.transitions(id) };
  });

  api.post('/updates/:id/cancel', async (request) => {
    const { id } = request.params as { id: string };
    const update = await cancelQueuedUpdate(
      deps.journal,
      deps.clock,
      id,
      ACTOR,
      optionalText(request.body, 'reason'),
    );
    deps.onUpdateCancelled?.(id);
    return { update };
  });

  // Asset ids have slashes (helm/default/web), so the id is the rest of the path before the verb.
  api.post('/assets/*', async (request) => {
    const rest = (request.params as { '*': string })['*'];
    const match = /^(.+)\/(pause|resume)$/.exec(rest);
    if (!match?.[1]) throw new NotFoundError(`no route POST /api/v1/assets/${rest}`);
    const assetId = match[1];
    const paused = match[2] === 'pause';
    if (!(await deps.journal.getAsset(assetId))) throw new NotFoundError(`no asset ${assetId}`);
    const reason = paused ? (optionalText(request.body, 'reason') ?? 'paused through the API') : null;
    await deps.journal.setPaused(assetId, paused, reason, ACTOR);
    deps.onPauseChanged?.(assetId, paused);
    return { asset: await deps.journal.getAsset(assetId) };
  });

  api.get('/queue', async () => {
    if (!deps.queueStatus)
      throw new NotFoundError('this process runs no update queue (see `safe-updater watch`)');
    return deps.queueStatus();
  });

  api.get('/approvals', async (request) => {
    const query = request.query as Query;
    if (query.state !== undefined && !(APPROVAL_STATES as readonly string[]).includes(query.state)) {
      throw new UsageError(`unknown approval state '${query.state}'; one of ${APPROVAL_STATES.join(', ')}`);
    }
    const approvals = await deps.journal.listApprovals({
      ...(query.state ? { state: query.state as ApprovalState } : {}),
      ...(query.assetId ? { assetId: query.assetId } : {}),
    });
    return { approvals };
  });

  api.post('/approvals/:id/:verb', async (request) => {
    const { id, verb } = request.params as { id: string; verb: string };
    if (verb !== 'approve' && verb !== 'reject')
      throw new NotFoundError(`no route POST /approvals/${id}/${verb}`);
    const approval = (await deps.journal.listApprovals()).find((candidate) => candidate.id === id);
    if (!approval) throw new NotFoundError(`no approval ${id}`);
    if (approval.state !== 'pending') throw new ConflictError(`approval ${id} is already ${approval.state}`);
    if (approval.deadline && approval.deadline.getTime() <= deps.clock.now().getTime()) {
      await deps.journal.decideApproval(id, 'expired', ACTOR, 'deadline passed');
      throw new ConflictError(`approval ${id} expired at ${approval.deadline.toISOString()}`);
    }
    const decided = await deps.journal.decideApproval(
      id,
      verb === 'approve' ? 'approved' : 'rejected',
      ACTOR,
      optionalText(request.body, 'comment'),
    );
    deps.onApprovalDecided?.(decided);
    return { approval: decided };
  });
}
