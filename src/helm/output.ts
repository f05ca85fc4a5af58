/**
 * Parsers for helm's JSON output, tolerant of the differences between Helm 3 and Helm 4 (`list` gives
 * `revision` as a string; numbers and strings are both accepted everywhere), and the classification of
 * helm's error text into our typed errors.
 *
 * Public API:
 *   parseHelmVersion(text) / compareHelmVersion                 "v3.17.2" → { major, minor, patch, raw }
 *   parseReleaseList(json) → HelmReleaseSummary[]                `helm list -o json`
 *   parseHistory(json) → HelmRevision[]                          `helm history -o json`
 *   parseRelease(json) → HelmRelease                             `helm status -o json`, `helm upgrade -o json`
 *   parseValues(json) → Record<string, unknown>                  `helm get values -o json` (null → {})
 *   splitChartRef("demo-app-1.2.0") → { name, version }
 *   classifyHelmError(stderr, context) → ConflictError | NotFoundError | ExternalHostError | SafeUpdaterError
 */
import {
  ConflictError,
  ExternalHostError,
  NotFoundError,
  SafeUpdaterError,
  type ErrorDetails,
} from '../core/errors.js';

export interface HelmVersion {
  major: number;
  minor: number;
  patch: number;
  raw: string;
}

export interface HelmReleaseSummary {
  name: string;
  namespace: string;
  revision: number;
  status: string;
  chart: string;
  chartName: string;
  chartVersion: string;
  appVersion: string;
  updated: string;
}

export interface HelmRevision {
  revision: number;
  status: string;
  chart: string;
  appVersion: string;
  updated: string;
  description: string;
}

export interface HelmRelease {
  name: string;
  namespace: string;
  revision: number;
  status: string;
  chartName: string;
  chartVersion: string;
  appVersion: string;
  /** info.last_deployed as a Date, when helm reported it. */
  lastDeployed?: Date;
  manifest: string;
  description: string;
}

export class HelmOutputError extends SafeUpdaterError {}

export function parseHelmVersion(text: string): HelmVersion | undefined {
  const match = /v?(\d+)\.(\d+)\.(\d+)/.exec(text.trim());
  if (!match) return undefined;
  return { major: Number(match[1]), minor: Number(match[2]), patch: Number(match[3]), raw: text.trim() };
}

export function compareHelmVersion(a: Omit<HelmVersion, 'raw'>, b: Omit<HelmVersion, 'raw'>): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch;
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text.trim() === '' ? 'null' : text);
  } catch (error) {
    throw new HelmOutputError(`cannot read the output of ${what} as JSON: ${text.slice(0, 200)}`, {
      cause: error,
    });
  }
}

type Json = Record<string, unknown>;

function record(value: unknown): Json {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : {};
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : '';
}

function revisionNumber(value: unknown): number {
  const n = typeof value === 'number' ? value : Number.parseInt(text(value), 10);
  return Number.isFinite(n) ? n : 0;
}

/** "demo-app-1.2.0" → demo-app + 1.2.0; the version is the first "-<digit>.<digit>" part (chart names may hold dashes). */
export function splitChartRef(chart: string): { name: string; version: string } {
  const match = /^(.+?)-(v?\d+(?:\.\d+)+(?:[-+][0-9A-Za-z.+-]*)?)$/.exec(chart);
  return match ? { name: match[1] ?? chart, version: match[2] ?? '' } : { name: chart, version: '' };
}

export function parseReleaseList(json: string): HelmReleaseSummary[] {
  const value = parseJson(json, 'helm list');
  if (value === null) return [];
  if (!Array.isArray(value)) throw new HelmOutputError('helm list did not answer a JSON list');
  return value.map((item) => {
    const r = record(item);
    const chart = text(r.chart);
    const { name: chartName, version: chartVersion } = splitChartRef(chart);
    return {
      name: text(r.name),
      namespace: text(r.namespace),
      revision: revisionNumber(r.revision),
      status: text(r.status),
      chart,
      chartName,
      chartVersion,
      appVersion: text(r.app_version),
      updated: text(r.updated),
    };
  });
}

export function parseHistory(json: string): HelmRevision[] {
  const value = parseJson(json, 'helm history');
  if (value === null) return [];
  if (!Array.isArray(value)) throw new HelmOutputError('helm history did not answer a JSON list');
  return value
    .map((item) => {
      const r = record(item);
      return {
        revision: revisionNumber(r.revision),
        status: text(r.status),
        chart: text(r.chart),
        appVersion: text(r.app_version),
        updated: text(r.updated),
        description: text(r.description),
      };
    })
    .sort((a, b) => a.revision - b.revision);
}

export function parseRelease(json: string): HelmRelease {
  const r = record(parseJson(json, 'helm status'));
  const info = record(r.info);
  const metadata = record(record(r.chart).metadata);
  const lastDeployed = Date.parse(text(info.last_deployed));
  return {
    name: text(r.name),
    namespace: text(r.namespace),
    revision: revisionNumber(r.version),
    status: text(info.status),
    chartName: text(metadata.name),
    chartVersion: text(metadata.version),
    appVersion: text(metadata.appVersion),
    lastDeployed: Number.isFinite(lastDeployed) ? new Date(lastDeployed) : undefined,
    manifest: text(r.manifest),
    description: text(info.description),
  };
}

export function parseValues(json: string): Record<string, unknown> {
  const value = parseJson(json, 'helm get values');
  return record(value);
}

export interface HelmErrorContext {
  /** What we were doing, e.g. "helm upgrade web in prod". */
  what: string;
  /** The API server (or registry) for ExternalHostError.host. */
  host: string;
}

const UNREACHABLE = [
  /kubernetes cluster unreachable/i,
  /connection refused/i,
  /no such host/i,
  /i\/o timeout/i,
  /TLS handshake timeout/i,
  /connection reset by peer/i,
  /context deadline exceeded/i,
  /the server is currently unable to handle the request/i,
  /Client\.Timeout exceeded/i,
  /status code (429|5\d\d)/i,
  /unexpected EOF/i,
];

const NOT_FOUND = [
  /release: not found/i,
  /release ".*" not found/i,
  /has no deployed releases/i,
  /chart ".*"( version ".*")? not found/i,
  /not found in .* repository/i,
  /: not found$/im,
  /manifest unknown/i,
  /failed to fetch .* 404/i,
  /404 Not Found/i,
  /revision .* not found/i,
];

/** Turns helm's stderr into a typed error; the first "Error:" line is the message. */
export function classifyHelmError(
  stderr: string,
  context: HelmErrorContext,
  details: ErrorDetails = {},
): SafeUpdaterError {
  const line =
    stderr
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '')
      .find((l) => l.startsWith('Error:')) ??
    stderr.trim().split('\n').pop() ??
    '';
  const message = `${context.what}: ${line.replace(/^Error:\s*/, '') || 'helm failed without a message'}`;
  if (/another operation \(install\/upgrade\/rollback\) is in progress/i.test(stderr)) {
    return new ConflictError(message, {
      ...details,
      hint: 'another helm operation holds the release; if it is stale, safe-updater unlocks it while holding the asset lock',
    });
  }
  if (UNREACHABLE.some((re) => re.test(stderr))) return new ExternalHostError(context.host, message, details);
  if (NOT_FOUND.some((re) => re.test(stderr))) return new NotFoundError(message, details);
  return new SafeUpdaterError(message, details);
}
