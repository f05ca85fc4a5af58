import { describe, expect, it } from 'vitest';
import type { ContainerInspect, EndpointSettings, ImageInspect } from '../../docker/types.js';
import { describeRefusals, planRecreate } from './recreate-spec.js';

const ID = 'abcdef012345' + '0'.repeat(52);

function container(
  overrides: { Config?: object; HostConfig?: object; Mounts?: object[]; Networks?: object } = {},
): ContainerInspect {
  return {
    Id: ID,
    Name: '/web',
    Image: 'sha256:old',
    RestartCount: 0,
    State: { Status: 'running', Running: true, Restarting: false, ExitCode: 0 },
    Config: {
      Hostname: ID.slice(0, 12),
      Env: [
        'container=podman',
        'VERSION=1.0.0',
        'FOO=bar',
        'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
        'TERM=xterm',
        `HOSTNAME=${ID.slice(0, 12)}`,
      ],
      Cmd: ['/bin/httpd', '-f', '-p', '8080'],
      Entrypoint: [],
      Image: 'reg:5001/demo/app:1.0.0',
      Labels: { 'org.version': '1.0.0', 'safe-updater.io/enable': 'true' },
      ExposedPorts: { '8080/tcp': {}, '9090/tcp': {} },
      WorkingDir: '/',
      StopSignal: '15',
      Tty: false,
      ...overrides.Config,
    },
    HostConfig: {
      Binds: ['data:/data:rw,rprivate,nosuid,nodev,rbind'],
      NetworkMode: 'bridge',
      RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 3 },
      AutoRemove: false,
      ContainerIDFile: '',
      Ulimits: [{ Name: 'RLIMIT_NOFILE', Hard: 1024, Soft: 1024 }],
      ...overrides.HostConfig,
    },
    Mounts: (overrides.Mounts as ContainerInspect['Mounts']) ?? [
      { Type: 'volume', Name: 'data', Source: '/v/data', Destination: '/data', Driver: 'local', RW: true },
    ],
    NetworkSettings: {
      Networks: (overrides.Networks as Record<string, EndpointSettings>) ?? {
        podman: { Aliases: [ID.slice(0, 12), 'web'], NetworkID: 'podman' },
      },
    },
  };
}

const image: ImageInspect = {
  Id: 'sha256:old',
  Config: {
    Env: ['VERSION=1.0.0'],
    Cmd: ['/bin/httpd', '-f', '-p', '8080'],
    Labels: { 'org.version': '1.0.0' },
    ExposedPorts: { '8080/tcp': {} },
    WorkingDir: '',
  },
};

describe('planRecreate', () => {
  it('carries only what differs from the image defaults, and HostConfig as set', () => {
    const plan = planRecreate({ container: container(), image, targetImage: 'reg:5001/demo/app:1.1.0' });
    expect(plan.ok).toBe(true);
    if (!plan.ok) return;
    const { body, extraNetworks } = plan.spec;
    expect(body.Image).toBe('reg:5001/demo/app:1.1.0');
    expect(body.Env).toEqual(['FOO=bar']);
    expect(body.Cmd).toBeUndefined();
    expect(body.Entrypoint).toBeUndefined();
    expect(body.Hostname).toBeUndefined();
    expect(body.WorkingDir).toBeUndefined();
    expect(body.StopSignal).toBeUndefined();
    expect(body.Labels).toEqual({ 'safe-updater.io/enable': 'true' });
    expect(body.ExposedPorts).toEqual({ '9090/tcp': {} });
    expect(body.HostConfig?.Binds).toEqual(['data:/data:rw,rprivate,nosuid,nodev,rbind']);
    expect(body.HostConfig?.RestartPolicy).toEqual({ Name: 'on-failure', MaximumRetryCount: 3 });
    expect(body.HostConfig?.['Ulimits']).toEqual([{ Name: 'nofile', Hard: 1024, Soft: 1024 }]);
    expect(body.HostConfig).not.toHaveProperty('ContainerIDFile');
    expect(body.NetworkingConfig).toEqual({ EndpointsConfig: { podman: { Aliases: ['web'] } } });
    expect(extraNetworks).toEqual([]);
  });

  it('carries a command, entrypoint, user, healthcheck and hostname the user set', () => {
    const healthcheck = { Test: ['CMD', 'true'], Interval: 1e9 };
    const plan = planRecreate({
      container: container({
        Config: {
          Cmd: ['sleep', '1'],
          Entrypoint: ['/init'],
          User: '1000',
          Healthcheck: healthcheck,
          Hostname: 'box',
        },
      }),
      image,
      targetImage: 'x:2',
    });
    expect(plan.ok && plan.spec.body).toMatchObject({
      Cmd: ['sleep', '1'],
      Entrypoint: ['/init'],
      User: '1000',
      Healthcheck: healthcheck,
      Hostname: 'box',
    });
  });

  it('connects networks beyond the first after create', () => {
    const plan = planRecreate({
      container: container({
        Networks: {
          front: { Aliases: ['web'] },
          back: { Aliases: ['w'], IPAMConfig: { IPv4Address: '10.0.0.5' } },
        },
      }),
      image,
      targetImage: 'x:2',
    });
    expect(plan.ok && plan.spec.body.NetworkingConfig).toEqual({
      EndpointsConfig: { front: { Aliases: ['web'] } },
    });
    expect(plan.ok && plan.spec.extraNetworks).toEqual([
      { network: 'back', endpoint: { Aliases: ['w'], IPAMConfig: { IPv4Address: '10.0.0.5' } } },
    ]);
  });

  it('re-attaches an anonymous volume by name', () => {
    const anon = 'f'.repeat(64);
    const plan = planRecreate({
      container: container({
        Mounts: [{ Type: 'volume', Name: anon, Source: '/v', Destination: '/cache', RW: true }],
        HostConfig: { Binds: [] },
      }),
      image,
      targetImage: 'x:2',
      volumes: new Set([anon]),
    });
    expect(plan.ok && plan.spec.body.HostConfig?.Binds).toEqual([`${anon}:/cache`]);
  });

  it('refuses AutoRemove, a vanished network peer, a lost anonymous volume and unknown settings, naming each field', () => {
    const anon = 'e'.repeat(64);
    const plan = planRecreate({
      container: container({
        HostConfig: { AutoRemove: true, NetworkMode: 'container:vpn', Binds: [] },
        Mounts: [{ Type: 'volume', Name: anon, Source: '/v', Destination: '/cache', RW: true }],
        Config: { Frobnicate: 'yes' },
      }),
      image,
      targetImage: 'x:2',
      networkPeerExists: false,
      volumes: new Set(),
    });
    expect(plan.ok).toBe(false);
    if (plan.ok) return;
    expect(plan.refusals.map((r) => r.field)).toEqual([
      'HostConfig.AutoRemove',
      'HostConfig.NetworkMode',
      'Config.Frobnicate',
      'Mounts[/cache]',
    ]);
    expect(describeRefusals('web', plan.refusals)).toMatch(
      /^container web cannot be recreated faithfully — HostConfig.AutoRemove: .*network peer 'vpn'/,
    );
  });

  it('refuses when the image is gone and its defaults cannot be known', () => {
    const plan = planRecreate({ container: container(), image: undefined, targetImage: 'x:2' });
    expect(!plan.ok && plan.refusals.map((r) => r.field)).toEqual(['Image']);
  });
});
