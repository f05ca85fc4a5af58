// HEALTHCHECK scheduler for podman's Docker-compatible API. Without systemd, podman never runs a container's
// HEALTHCHECK by itself: State.Health.Status stays `starting` until `podman healthcheck run` is called. Docker's
// daemon runs them at each container's interval, and safe-updater's Docker support expects that, so this loop
// does the same: every second it lists running containers through the socket and runs the checks that are due.
// Usage: node env/podman-healthchecks.mjs --socket .run/podman/podman.sock  (podman CLI from PATH; its
// CONTAINERS_CONF / CONTAINERS_STORAGE_CONF come from the environment, as for the API service).
import { execFile } from 'node:child_process';
import { request } from 'node:http';
import { parseArgs } from 'node:util';
import console from 'node:console';
import process from 'node:process';
import { setTimeout } from 'node:timers';

const { values: opts } = parseArgs({ options: { socket: { type: 'string' } } });
const DEFAULT_INTERVAL_MS = 30_000; // Docker's default HEALTHCHECK interval
const lastRun = new Map(); // container id → time of the last check we started
const running = new Set();

function getJson(path) {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: opts.socket, path, method: 'GET', timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => {
        if (res.statusCode !== 200) return reject(new Error(`${path}: HTTP ${res.statusCode}`));
        try {
          resolve(JSON.parse(body));
        } catch (error) {
          reject(error);
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error(`${path}: timeout`)));
    req.on('error', reject);
    req.end();
  });
}

function runCheck(id) {
  running.add(id);
  lastRun.set(id, Date.now());
  execFile('podman', ['healthcheck', 'run', id], { timeout: 60_000 }, () => running.delete(id));
}

async function tick() {
  const containers = await getJson('/v1.41/containers/json');
  const alive = new Set();
  for (const summary of containers) {
    const id = summary.Id;
    alive.add(id);
    if (running.has(id)) continue;
    const inspect = await getJson(`/v1.41/containers/${id}/json`).catch(() => undefined);
    const check = inspect?.Config?.Healthcheck;
    if (!check?.Test?.length || check.Test[0] === 'NONE') continue;
    // Docker API durations are nanoseconds; 0 means the default.
    const interval = check.Interval ? check.Interval / 1e6 : DEFAULT_INTERVAL_MS;
    const startedAt = Date.parse(inspect.State?.StartedAt ?? '') || 0;
    const previous = lastRun.get(id) ?? startedAt;
    if (Date.now() - previous >= interval) runCheck(id);
  }
  for (const id of lastRun.keys()) if (!alive.has(id)) lastRun.delete(id);
}

async function loop() {
  for (;;) {
    await tick().catch((error) => console.error(new Date().toISOString(), String(error)));
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => process.exit(0));
console.log(`healthcheck scheduler on ${opts.socket}`);
void loop();
