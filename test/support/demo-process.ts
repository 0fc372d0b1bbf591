// Starts the demo (`packages/demo/start.mjs`, what `pnpm start` runs) as a child process on a free
// loopback port and stops it again.
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

const START = fileURLToPath(new URL('../../packages/demo/start.mjs', import.meta.url));
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** A free TCP port on 127.0.0.1 (free when asked; the caller binds it next). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** A running demo. */
export interface DemoProcess {
  /** Its public base URL, `http://localhost:<port>`. */
  readonly url: string;
  /** What it printed so far (stdout and stderr). */
  output(): string;
  /** SIGTERM, SIGKILL after 5 s; resolves when it has exited. */
  stop(): Promise<void>;
}

/**
 * Starts the demo with `env` on top of a clean environment (no SAML_* or REDIS_URL inherited) and
 * waits until it prints the URL to open.
 */
export async function startDemoProcess(
  env: Record<string, string> = {},
  timeoutMs = 300_000,
): Promise<DemoProcess> {
  const port = env.PORT ? Number(env.PORT) : await freePort();
  const base: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !k.startsWith('SAML_') && k !== 'REDIS_URL' && k !== 'PORT') base[k] = v;
  }
  const child = spawn(process.execPath, [START], {
    env: { ...base, PORT: String(port), HOST: 'localhost', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let output = '';
  child.stdout.on('data', (d: Buffer) => {
    output += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    output += d.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    running.delete(child);
  };
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      clearInterval(poll);
      reject(new Error(`the demo did not start within ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    const poll = setInterval(() => {
      const m = /samlkit demo: open (\S+)/.exec(output);
      if (m) {
        clearInterval(poll);
        clearTimeout(timer);
        resolve(m[1]!);
      } else if (child.exitCode !== null) {
        clearInterval(poll);
        clearTimeout(timer);
        reject(new Error(`the demo exited with ${child.exitCode}:\n${output}`));
      }
    }, 50);
  }).catch(async (error: unknown) => {
    await stop();
    throw error;
  });
  return { url, output: () => output, stop };
}
