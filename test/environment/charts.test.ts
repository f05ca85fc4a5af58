import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadEnvironment } from '../support/env.js';
import { basicAuth, runOk } from './support.js';

const env = loadEnvironment();
const chart = env.fixtures.chart;

interface IndexYaml {
  entries: Record<string, { version: string; appVersion: string; urls: string[] }[]>;
}

describe('fixture chart repositories', () => {
  let work: string;
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'env-charts-'));
  });
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('serves index.yaml with every chart version and its image tag', async () => {
    const res = await fetch(`${env.chartRepos.anonymous}/index.yaml`);
    expect(res.status).toBe(200);
    const index = parse(await res.text()) as IndexYaml;
    const published = Object.fromEntries((index.entries[chart] ?? []).map((e) => [e.version, e.appVersion]));
    expect(published).toMatchObject(env.fixtures.chartVersions);
  });

  it('asks for basic credentials on the authenticated repository', async () => {
    const { url, username, password } = env.chartRepos.basic;
    expect((await fetch(`${url}/index.yaml`)).status).toBe(401);
    const res = await fetch(`${url}/index.yaml`, {
      headers: { authorization: basicAuth(username, password) },
    });
    expect(res.status).toBe(200);
    expect(parse(await res.text())).toHaveProperty(['entries', chart]);
  });

  it('pulls a chart from the authenticated repository with Helm 3', async () => {
    const { url, username, password } = env.chartRepos.basic;
    const dest = join(work, 'helm3');
    await mkdir(dest);
    await runOk(env.tools.helm3, [
      'pull',
      chart,
      '--repo',
      url,
      '--username',
      username,
      '--password',
      password,
      '--version',
      '1.1.0',
      '--destination',
      dest,
    ]);
    expect(await readdir(dest)).toEqual([`${chart}-1.1.0.tgz`]);
  });

  it('pulls the OCI chart with Helm 4 and reads its appVersion', async () => {
    const dest = join(work, 'helm4');
    await mkdir(dest);
    await runOk(env.tools.helm4, [
      'pull',
      `${env.ociCharts}/${chart}`,
      '--version',
      '1.2.0',
      '--plain-http',
      '--destination',
      dest,
    ]);
    expect(await readdir(dest)).toEqual([`${chart}-1.2.0.tgz`]);
    const shown = parse(
      await runOk(env.tools.helm4, ['show', 'chart', join(dest, `${chart}-1.2.0.tgz`)]),
    ) as {
      appVersion: string;
    };
    expect(shown.appVersion).toBe(env.fixtures.chartVersions['1.2.0']);
  });
});
