// Real Redis servers for tests, on loopback only. Every process started here is stopped by the
// `stop()` the caller runs in afterAll, and killed at process exit as a last resort.
import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A Redis server a test can use. */
export interface RedisServer {
  /** `redis://127.0.0.1:<port>` (or REDIS_URL). */
  readonly url: string;
  readonly port: number;
  /** Whether this process started it (false for REDIS_URL). */
  readonly spawned: boolean;
  /** Stops it (no-op for REDIS_URL) and waits until the process has exited. */
  stop(): Promise<void>;
  /**
   * Sends a signal to the process this helper started (e.g. SIGSTOP / SIGCONT to pause it);
   * throws for REDIS_URL, which it did not start.
   */
  signal(signal: NodeJS.Signals): void;
}

/** A 3-node Redis Cluster on loopback. */
export interface RedisClusterServer {
  /** `redis://127.0.0.1:<port>` of every node. */
  readonly nodes: readonly string[];
  readonly ports: readonly number[];
  /** Stops every node and removes the cluster's config directory. */
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';
const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

function hasCommand(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}

/** Whether `redis-server` is installed. */
export const hasRedisServer = (): boolean => hasCommand('redis-server');
/** Whether `redis-cli` is installed (needed to create a cluster). */
export const hasRedisCli = (): boolean => hasCommand('redis-cli');

/**
 * Says loudly that a suite is skipped, or fails under CI (where every dependency is installed and
 * no Redis suite may skip). Returns true when the suite should be skipped.
 */
export function skipLoudly(suite: string, missing: string): boolean {
  const line = '!'.repeat(78);
  if (process.env.CI) {
    throw new Error(
      `${suite} cannot run: ${missing} is not installed, and CI must not skip it (.ci/run installs redis-server)`,
    );
  }
  const message = `${suite}: SKIPPED because ${missing} is not installed (apt-get install redis-server)`;
  console.warn(`\n${line}\n${message}\n${line}\n`);
  return true;
}

/** A free TCP port on loopback (and, when asked, with port + 10000 free too, for cluster buses). */
export async function freePort(withBus = false): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = withBus ? 20_000 + Math.floor(Math.random() * 20_000) : await ephemeralPort();
    if ((await isFree(port)) && (!withBus || (await isFree(port + 10_000)))) return port;
  }
  throw new Error('no free loopback port found');
}

function ephemeralPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, HOST, () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, HOST, () => server.close(() => resolve(true)));
  });
}

/** Sends one inline command over a fresh socket and returns the first reply chunk. */
function rawCommand(port: number, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: HOST, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('timeout'));
    }, 1000);
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.once('connect', () => socket.write(`${command}\r\n`));
    socket.once('data', (data) => {
      clearTimeout(timer);
      socket.end();
      resolve(data.toString('utf8'));
    });
  });
}

async function waitFor(what: string, check: () => Promise<boolean>, limitMs = 15_000) {
  const until = Date.now() + limitMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // not yet
    }
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function spawnServer(port: number, extra: readonly string[], cwd?: string): ChildProcess {
  const args = ['--port', String(port), '--bind', HOST, '--save', '', '--appendonly', 'no'];
  const child = spawn('redis-server', [...args, ...extra], {
    cwd,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(timer);
}

async function startOn(port: number, extra: readonly string[] = [], cwd?: string) {
  const child = spawnServer(port, extra, cwd);
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString('utf8');
  });
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) =>
      reject(new Error(`redis-server on port ${port} exited (${code}): ${stderr.trim()}`)),
    ),
  );
  exited.catch(() => {});
  await Promise.race([
    waitFor(`redis-server on port ${port}`, async () =>
      (await rawCommand(port, 'PING')).startsWith('+PONG'),
    ),
    exited,
  ]);
  return child;
}

/**
 * Starts a throw-away redis-server on a free loopback port (no persistence), or uses REDIS_URL
 * when it is set and no `port` is asked for.
 *
 * @param options.port - a specific port (to restart a stopped server on the same address)
 * @param options.ignoreEnv - always spawn, even when REDIS_URL is set
 */
export async function startRedis(
  options: { port?: number; ignoreEnv?: boolean } = {},
): Promise<RedisServer> {
  const fromEnv = process.env.REDIS_URL;
  if (fromEnv && options.port === undefined && !options.ignoreEnv) {
    const url = new URL(fromEnv);
    return {
      url: fromEnv,
      port: Number(url.port || 6379),
      spawned: false,
      stop: async () => {},
      signal: () => {
        throw new Error('REDIS_URL: this process did not start that server');
      },
    };
  }
  const port = options.port ?? (await freePort());
  const child = await startOn(port);
  return {
    url: `redis://${HOST}:${port}`,
    port,
    spawned: true,
    // A paused server is resumed first, so SIGTERM can end it.
    stop: () => {
      child.kill('SIGCONT');
      return stopChild(child);
    },
    signal: (signal) => {
      child.kill(signal);
    },
  };
}

function execFileText(file: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, [...args], { timeout: 30_000 }, (err, stdout, stderr) => {
      if (err)
        reject(new Error(`${file} ${args.join(' ')} failed: ${err.message}\n${stdout}${stderr}`));
      else resolve(stdout);
    });
  });
}

/**
 * Starts a real 3-node Redis Cluster on free loopback ports (`--cluster-enabled yes`, no
 * replicas), creates it with `redis-cli --cluster create`, and waits for `cluster_state:ok`
 * on every node.
 */
export async function startRedisCluster(): Promise<RedisClusterServer> {
  const dir = mkdtempSync(join(tmpdir(), 'samlkit-redis-cluster-'));
  const started: ChildProcess[] = [];
  const ports: number[] = [];
  const stop = async () => {
    await Promise.all(started.map(stopChild));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < 3; i++) {
      const port = await freePort(true);
      ports.push(port);
      started.push(
        await startOn(
          port,
          [
            '--cluster-enabled',
            'yes',
            '--cluster-config-file',
            `nodes-${port}.conf`,
            '--cluster-node-timeout',
            '5000',
            '--dir',
            dir,
          ],
          dir,
        ),
      );
    }
    await execFileText('redis-cli', [
      '--cluster',
      'create',
      ...ports.map((p) => `${HOST}:${p}`),
      '--cluster-replicas',
      '0',
      '--cluster-yes',
    ]);
    for (const port of ports) {
      await waitFor(`cluster_state:ok on ${port}`, async () =>
        (await rawCommand(port, 'CLUSTER INFO')).includes('cluster_state:ok'),
      );
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { nodes: ports.map((p) => `redis://${HOST}:${p}`), ports, stop };
}
