/**
 * Workloads (Deployment, StatefulSet, DaemonSet, CronJob) seen through one shape, and the pods of a revision.
 *
 * Public API (class Workloads, built on KubeClients from ./client.ts):
 *   read(ref) / list(namespace?) / listByLabel(namespace, selector)  → Workload
 *   patch(ref, ops)              RFC 6902 JSON patch (use a `test` op to guard against concurrent changes)
 *   revisionPods(workload)       pods of the workload's CURRENT (newest) revision, or undefined while the
 *                                controller has not observed the latest spec yet
 *   ownedPods(workload)          every pod the workload owns (through its ReplicaSets for Deployments)
 *   deletePod(namespace, name)
 *   exec(namespace, pod, container, command, timeoutMs) → { exitCode, stdout, stderr }
 *   containerImagePath(workload, container) → JSON pointer of that container's image (init containers too)
 */
import { Writable } from 'node:stream';
import {
  Exec,
  PatchStrategy,
  setHeaderOptions,
  type V1ControllerRevision,
  type V1CronJob,
  type V1DaemonSet,
  type V1Deployment,
  type V1ObjectMeta,
  type V1Pod,
  type V1PodSpec,
  type V1Status,
  type V1StatefulSet,
} from '@kubernetes/client-node';
import type { WorkloadKind } from '../core/model.js';
import { ExternalHostError, NotFoundError, TimeoutError, errorMessage } from '../core/errors.js';
import { callKube, type KubeClients } from './client.js';

export const WORKLOAD_KINDS: readonly WorkloadKind[] = ['Deployment', 'StatefulSet', 'DaemonSet', 'CronJob'];

export interface WorkloadRef {
  kind: WorkloadKind;
  namespace: string;
  name: string;
}

export type WorkloadObject =
  | { kind: 'Deployment'; object: V1Deployment }
  | { kind: 'StatefulSet'; object: V1StatefulSet }
  | { kind: 'DaemonSet'; object: V1DaemonSet }
  | { kind: 'CronJob'; object: V1CronJob };

export type Workload = WorkloadObject & {
  namespace: string;
  name: string;
  metadata: V1ObjectMeta;
  podSpec: V1PodSpec;
  /** JSON pointer of the pod spec inside the object. */
  podSpecPath: string;
  /** spec.selector.matchLabels as a label selector string ('' for CronJobs). */
  selector: string;
};

export interface JsonPatchOp {
  op: 'add' | 'remove' | 'replace' | 'test';
  path: string;
  value?: unknown;
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

const JSON_PATCH = setHeaderOptions('Content-Type', PatchStrategy.JsonPatch);

/** Wraps a raw API object; throws when it lacks the fields every workload of its kind has. */
export function toWorkload(value: WorkloadObject): Workload {
  const metadata = value.object.metadata ?? {};
  const name = metadata.name ?? '';
  const namespace = metadata.namespace ?? 'default';
  if (value.kind === 'CronJob') {
    const podSpec = value.object.spec?.jobTemplate.spec?.template.spec;
    if (!podSpec) throw new NotFoundError(`CronJob ${namespace}/${name} has no pod template`);
    return {
      ...value,
      name,
      namespace,
      metadata,
      podSpec,
      podSpecPath: '/spec/jobTemplate/spec/template/spec',
      selector: '',
    };
  }
  const spec = value.object.spec;
  if (!spec?.template.spec) throw new NotFoundError(`${value.kind} ${namespace}/${name} has no pod template`);
  return {
    ...value,
    name,
    namespace,
    metadata,
    podSpec: spec.template.spec,
    podSpecPath: '/spec/template/spec',
    selector: labelSelector(spec.selector.matchLabels ?? {}),
  };
}

export function labelSelector(labels: Record<string, string>): string {
  return Object.entries(labels)
    .map(([key, value]) => `${key}=${value}`)
    .join(',');
}

/** JSON pointer of a container's image; init containers are addressed the same way. */
export function containerImagePath(workload: Workload, container: string): { path: string; image: string } {
  for (const field of ['containers', 'initContainers'] as const) {
    const list = workload.podSpec[field] ?? [];
    const index = list.findIndex((c) => c.name === container);
    const found = list[index];
    if (found) return { path: `${workload.podSpecPath}/${field}/${index}/image`, image: found.image ?? '' };
  }
  throw new NotFoundError(
    `${workload.kind} ${workload.namespace}/${workload.name} has no container "${container}"`,
  );
}

/** Escapes a key for use in a JSON pointer (RFC 6901): "~" → "~0", "/" → "~1". */
export function jsonPointerKey(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

function ownedBy(uid: string | undefined): (item: { metadata?: V1ObjectMeta }) => boolean {
  return (item) => uid !== undefined && (item.metadata?.ownerReferences ?? []).some((o) => o.uid === uid);
}

export class Workloads {
  constructor(private readonly clients: KubeClients) {}

  get server(): string {
    return this.clients.server;
  }

  async read(ref: WorkloadRef): Promise<Workload> {
    const what = `read ${ref.kind} ${ref.namespace}/${ref.name}`;
    const { apps, batch } = this.clients;
    const param = { name: ref.name, namespace: ref.namespace };
    switch (ref.kind) {
      case 'Deployment':
        return toWorkload({
          kind: ref.kind,
          object: await callKube(this.clients, what, () => apps.readNamespacedDeployment(param)),
        });
      case 'StatefulSet':
        return toWorkload({
          kind: ref.kind,
          object: await callKube(this.clients, what, () => apps.readNamespacedStatefulSet(param)),
        });
      case 'DaemonSet':
        return toWorkload({
          kind: ref.kind,
          object: await callKube(this.clients, what, () => apps.readNamespacedDaemonSet(param)),
        });
      case 'CronJob':
        return toWorkload({
          kind: ref.kind,
          object: await callKube(this.clients, what, () => batch.readNamespacedCronJob(param)),
        });
    }
  }

  /** Every workload of the four kinds, in one namespace or in all (namespace undefined). */
  async list(namespace?: string, labelSelectorText?: string): Promise<Workload[]> {
    const where = namespace ? `namespace ${namespace}` : 'all namespaces';
    const { apps, batch } = this.clients;
    const sel = labelSelectorText ? { labelSelector: labelSelectorText } : {};
    const ns = namespace ? { namespace, ...sel } : undefined;
    const [deployments, statefulSets, daemonSets, cronJobs] = await Promise.all([
      callKube(this.clients, `list Deployments in ${where}`, () =>
        ns ? apps.listNamespacedDeployment(ns) : apps.listDeploymentForAllNamespaces(sel),
      ),
      callKube(this.clients, `list StatefulSets in ${where}`, () =>
        ns ? apps.listNamespacedStatefulSet(ns) : apps.listStatefulSetForAllNamespaces(sel),
      ),
      callKube(this.clients, `list DaemonSets in ${where}`, () =>
        ns ? apps.listNamespacedDaemonSet(ns) : apps.listDaemonSetForAllNamespaces(sel),
      ),
      callKube(this.clients, `list CronJobs in ${where}`, () =>
        ns ? batch.listNamespacedCronJob(ns) : batch.listCronJobForAllNamespaces(sel),
      ),
    ]);
    return [
      ...deployments.items.map((object) => toWorkload({ kind: 'Deployment', object })),
      ...statefulSets.items.map((object) => toWorkload({ kind: 'StatefulSet', object })),
      ...daemonSets.items.map((object) => toWorkload({ kind: 'DaemonSet', object })),
      ...cronJobs.items.map((object) => toWorkload({ kind: 'CronJob', object })),
    ];
  }

  async patch(ref: WorkloadRef, ops: JsonPatchOp[]): Promise<Workload> {
    const what = `patch ${ref.kind} ${ref.namespace}/${ref.name}`;
    const { apps, batch } = this.clients;
    const param = { name: ref.name, namespace: ref.namespace, body: ops };
    switch (ref.kind) {
      case 'Deployment':
        return toWorkload({
          kind: ref.kind,
          object: await callKube(this.clients, what, () => apps.patchNamespacedDeployment(param, JSON_PATCH)),
        });
      case 'StatefulSet':
        return toWorkload({
          kind: ref.kind,
          object: await callKube(this.clients, what, () =>
            apps.patchNamespacedStatefulSet(param, JSON_PATCH),
          ),
        });
      case 'DaemonSet':
        return toWorkload({
          kind: ref.kind,
          object: await callKube(this.clients, what, () => apps.patchNamespacedDaemonSet(param, JSON_PATCH)),
        });
      case 'CronJob':
        return toWorkload({
          kind: ref.kind,
          object: await callKube(this.clients, what, () => batch.patchNamespacedCronJob(param, JSON_PATCH)),
        });
    }
  }

  /** Pods (of this workload) carrying the given label selector. */
  private async podsMatching(workload: Workload, extra: string): Promise<V1Pod[]> {
    const selector = [workload.selector, extra].filter((s) => s !== '').join(',');
    const pods = await callKube(
      this.clients,
      `list pods of ${workload.kind} ${workload.namespace}/${workload.name}`,
      () => this.clients.core.listNamespacedPod({ namespace: workload.namespace, labelSelector: selector }),
    );
    return pods.items;
  }

  /**
   * The pods of the newest revision, the only ones whose failures say anything about the new version
   * (old pods keep running during a rolling update). undefined while the controller has not observed
   * the latest generation, because until then "the newest revision" is not known.
   *  - Deployment: the ReplicaSet whose deployment.kubernetes.io/revision equals the Deployment's.
   *  - StatefulSet: status.updateRevision = the pods' controller-revision-hash label.
   *  - DaemonSet: the ControllerRevision with the highest .revision; its controller-revision-hash label.
   */
  async revisionPods(workload: Workload): Promise<V1Pod[] | undefined> {
    const observed = observedGenerationCaughtUp(workload);
    if (!observed) return undefined;
    const owner = ownedBy(workload.metadata.uid);
    switch (workload.kind) {
      case 'Deployment': {
        const revision = workload.metadata.annotations?.['deployment.kubernetes.io/revision'];
        const sets = await callKube(
          this.clients,
          `list ReplicaSets of ${workload.namespace}/${workload.name}`,
          () =>
            this.clients.apps.listNamespacedReplicaSet({
              namespace: workload.namespace,
              labelSelector: workload.selector,
            }),
        );
        const current = sets.items
          .filter(owner)
          .find((rs) => rs.metadata?.annotations?.['deployment.kubernetes.io/revision'] === revision);
        const hash = current?.metadata?.labels?.['pod-template-hash'];
        if (!current || !hash) return undefined;
        return (await this.podsMatching(workload, `pod-template-hash=${hash}`)).filter(
          ownedBy(current.metadata?.uid),
        );
      }
      case 'StatefulSet': {
        const revision = workload.object.status?.updateRevision;
        if (!revision) return undefined;
        return (await this.podsMatching(workload, `controller-revision-hash=${revision}`)).filter(owner);
      }
      case 'DaemonSet': {
        const newest = await this.newestControllerRevision(workload);
        const hash = newest?.metadata?.labels?.['controller-revision-hash'];
        if (!hash) return undefined;
        return (await this.podsMatching(workload, `controller-revision-hash=${hash}`)).filter(owner);
      }
      case 'CronJob':
        return [];
    }
  }

  /** Every pod of the workload, any revision. */
  async ownedPods(workload: Workload): Promise<V1Pod[]> {
    if (workload.kind === 'CronJob') return [];
    const pods = await this.podsMatching(workload, '');
    if (workload.kind !== 'Deployment') return pods.filter(ownedBy(workload.metadata.uid));
    const sets = await callKube(
      this.clients,
      `list ReplicaSets of ${workload.namespace}/${workload.name}`,
      () =>
        this.clients.apps.listNamespacedReplicaSet({
          namespace: workload.namespace,
          labelSelector: workload.selector,
        }),
    );
    const uids = new Set(sets.items.filter(ownedBy(workload.metadata.uid)).map((rs) => rs.metadata?.uid));
    return pods.filter((pod) => (pod.metadata?.ownerReferences ?? []).some((o) => uids.has(o.uid)));
  }

  private async newestControllerRevision(workload: Workload): Promise<V1ControllerRevision | undefined> {
    const revisions = await callKube(
      this.clients,
      `list ControllerRevisions of ${workload.namespace}/${workload.name}`,
      () =>
        this.clients.apps.listNamespacedControllerRevision({
          namespace: workload.namespace,
          labelSelector: workload.selector,
        }),
    );
    return revisions.items
      .filter(ownedBy(workload.metadata.uid))
      .reduce<V1ControllerRevision | undefined>(
        (best, r) => (!best || r.revision > best.revision ? r : best),
        undefined,
      );
  }

  async deletePod(namespace: string, name: string): Promise<void> {
    await callKube(this.clients, `delete pod ${namespace}/${name}`, () =>
      this.clients.core.deleteNamespacedPod({ namespace, name, gracePeriodSeconds: 0 }),
    );
  }

  /** Runs a command in a container through the exec API (a websocket); never through a shell of ours. */
  async exec(
    namespace: string,
    pod: string,
    container: string,
    command: string[],
    timeoutMs: number,
  ): Promise<ExecResult> {
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    const sink = (into: Buffer[]): Writable =>
      new Writable({
        write(chunk: Buffer, _encoding, callback) {
          into.push(Buffer.from(chunk));
          callback();
        },
      });
    const what = `exec in pod ${namespace}/${pod} container ${container}`;
    return new Promise<ExecResult>((resolve, reject) => {
      let socket: { close(): void } | undefined;
      const timer = setTimeout(() => {
        socket?.close();
        reject(new TimeoutError(`${what}: no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      const done = (status: V1Status): void => {
        clearTimeout(timer);
        resolve({
          exitCode: execExitCode(status),
          stdout: Buffer.concat(stdout).toString('utf8'),
          stderr: Buffer.concat(stderr).toString('utf8'),
        });
      };
      new Exec(this.clients.config)
        .exec(namespace, pod, container, command, sink(stdout), sink(stderr), null, false, done)
        .then((ws) => {
          socket = ws;
        })
        .catch((error: unknown) => {
          clearTimeout(timer);
          reject(
            new ExternalHostError(this.clients.server, `${what}: ${errorMessage(error)}`, { cause: error }),
          );
        });
    });
  }
}

/** Exit code from the exec API's final Status: Success → 0, else details.causes[reason=ExitCode]. */
export function execExitCode(status: V1Status): number {
  if (status.status === 'Success') return 0;
  const cause = status.details?.causes?.find((c) => c.reason === 'ExitCode');
  const code = Number(cause?.message);
  return Number.isInteger(code) ? code : 1;
}

/** True when status.observedGeneration has caught up with metadata.generation. */
export function observedGenerationCaughtUp(workload: Workload): boolean {
  if (workload.kind === 'CronJob') return true;
  const generation = workload.metadata.generation ?? 0;
  return (workload.object.status?.observedGeneration ?? -1) >= generation;
}
