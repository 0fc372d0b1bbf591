// `pnpm start` (packages/demo/start.mjs): runs from the packages' sources without building them,
// and fails loudly — non-zero exit, the port named — when the port is taken.
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { createServer, type Server } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
// @ts-expect-error: the demo is plain JavaScript without declarations
import { bundleDemo } from '../bundle.mjs';

const START = fileURLToPath(new URL('../start.mjs', import.meta.url));

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, 'localhost', () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : 0);
    });
  });
}

describe('pnpm start', () => {
  const blocker = createServer();
  afterAll(() => new Promise<void>((resolve) => blocker.close(() => resolve())));

  it('exits non-zero and names the port when the port is taken', async () => {
    const port = await listen(blocker);
    const child = spawn(process.execPath, [START], {
      env: { PATH: process.env.PATH ?? '', PORT: String(port), HOST: 'localhost' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      output += d.toString();
    });
    // Without the fix it keeps running, listening nowhere: stop it then.
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    clearTimeout(timer);
    expect(code, output).toBe(1);
    expect(output).toContain(`port ${port} on localhost is already in use`);
    expect(output).not.toContain('open http');
  }, 120_000);

  it('bundles the demo from the sources: no @samlkit package needs a build', async () => {
    const name = `test-${process.pid}.mjs`;
    const { file, external } = (await bundleDemo(name)) as { file: string; external: string[] };
    rmSync(file, { force: true });
    const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
    expect(external.filter((m) => !builtins.has(m))).toEqual(['express']);
  }, 120_000);
});
