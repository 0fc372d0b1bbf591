// `pnpm start`: builds the workspace packages the demo imports when their dist/ is missing or older
// than their sources (a fresh clone, or after a pull), then starts the demo.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const needed = ['core', 'express', 'testkit', 'redis'];

/** The newest modification time of the files under `dir` (0 when it is absent). */
function newest(dir) {
  if (!existsSync(dir)) return 0;
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

const stale = needed.filter((name) => {
  const built = join(root, 'packages', name, 'dist', 'index.js');
  if (!existsSync(built)) return true;
  return newest(join(root, 'packages', name, 'src')) > statSync(built).mtimeMs;
});
if (stale.length > 0) {
  console.log(`samlkit demo: building ${stale.map((n) => `@samlkit/${n}`).join(', ')} first…`);
  const result = spawnSync('pnpm', ['-r', '--filter', '@samlkit/demo^...', 'build'], {
    cwd: root,
    stdio: 'inherit',
    shell: process.platform === 'win32',
  });
  if (result.status !== 0) {
    console.error('samlkit demo: the build failed; run `pnpm build` to see why.');
    process.exit(1);
  }
}

const { startDemo } = await import('./app.mjs');
let demo;
try {
  demo = await startDemo(process.env);
} catch (error) {
  console.error(`samlkit demo: could not start: ${error?.message ?? error}`);
  process.exit(1);
}
for (const line of demo.describe) console.log(line);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    demo.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}
