// Real child processes for end-to-end tests: bundle a TypeScript entry with esbuild (workspace
// packages resolved to their sources through the root tsconfig paths) and run it with `node`.
// Every process started here is stopped by the `stop()` the test calls, and killed at exit as a
// last resort.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of children) signalGroup(child, 'SIGKILL');
});

/**
 * Signals the child's whole process group. Children run in a group of their own because some
 * commands are launchers: `node_modules/.bin/deno` is a Node script that starts the real deno
 * binary as its own child, and a signal to the launcher alone leaves deno running.
 */
function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // The group is gone already.
  }
}

/**
 * Bundles `entry` (a path relative to the repository root) into one file.
 * @param options.format - `cjs` for Node processes (CommonJS dependencies such as ioredis and
 *   express bundle cleanly), `esm` for Fetch-API runtimes
 * @param options.platform - `node`, or `neutral`/`browser` for non-Node runtimes
 */
export async function bundle(
  entry: string,
  outfile: string,
  options: {
    format: 'cjs' | 'esm';
    platform: 'node' | 'neutral' | 'browser';
    define?: Record<string, string>;
  },
): Promise<string> {
  await build({
    entryPoints: [fileURLToPath(new URL(entry, `file://${ROOT}`))],
    outfile,
    bundle: true,
    format: options.format,
    platform: options.platform,
    target: 'es2022',
    tsconfig: `${ROOT}tsconfig.json`,
    logLevel: 'error',
    ...(options.platform !== 'node'
      ? { mainFields: ['browser', 'module', 'main'], conditions: ['worker', 'browser'] }
      : {}),
    ...(options.define ? { define: options.define } : {}),
  });
  return outfile;
}

/** A running child process that printed `listening <port>`. */
export interface ListeningProcess {
  readonly port: number;
  readonly child: ChildProcess;
  /** Everything it wrote to stderr so far. */
  stderr(): string;
  /** Whether it is still running. */
  alive(): boolean;
  /** SIGTERM, then SIGKILL after 3 s; resolves when it has exited. */
  stop(): Promise<void>;
}

/**
 * Spawns `command args` and waits for the line `listening <port>` on stdout.
 * @throws Error when the process exits first or says nothing within `timeoutMs`
 */
export async function spawnListening(
  command: string,
  args: readonly string[],
  options: { env?: Record<string, string>; cwd?: string; timeoutMs?: number } = {},
): Promise<ListeningProcess> {
  const child = spawn(command, [...args], {
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // a process group of its own, so stop() reaches grandchildren too
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString('utf8');
  });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    signalGroup(child, 'SIGTERM');
    const timer = setTimeout(() => signalGroup(child, 'SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
    // The launcher may exit before what it launched: make sure nothing of the group is left.
    signalGroup(child, 'SIGKILL');
  };
  const port = await new Promise<number>((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => {
      void stop();
      reject(
        new Error(`${command} did not start within ${options.timeoutMs ?? 20_000} ms: ${stderr}`),
      );
    }, options.timeoutMs ?? 20_000);
    child.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString('utf8');
      const m = /listening (\d+)/.exec(stdout);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${command} exited (${code ?? signal}) before listening: ${stderr}`));
    });
  });
  return {
    port,
    child,
    stderr: () => stderr,
    alive: () => child.exitCode === null && child.signalCode === null,
    stop,
  };
}
