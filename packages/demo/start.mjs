// `pnpm start`: builds the workspace packages the demo imports when their dist/ is missing or older
// than their sources (a fresh clone, or after a pull), then starts the demo.
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
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

function staleBuilds() {
  return needed.filter((name) => {
    const built = join(root, 'packages', name, 'dist', 'index.js');
    if (!existsSync(built)) return true;
    return newest(join(root, 'packages', name, 'src')) > statSync(built).mtimeMs;
  });
}

/** Whether the process that holds the lock is gone (it was killed mid-build). */
function abandoned(lock) {
  try {
    process.kill(Number(readFileSync(join(lock, 'pid'), 'utf8')), 0);
    return false;
  } catch (error) {
    if (error.code === 'EPERM') return false;
    // No pid file yet: the holder may be writing it; judge by age.
    if (error.code === 'ENOENT') return Date.now() - statSync(lock).mtimeMs > 10_000;
    return true;
  }
}

/** Runs `fn` holding a lock directory, so demos started together build only once. */
function withBuildLock(fn) {
  const lock = join(root, 'node_modules', '.samlkit-demo-build.lock');
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'pid'), String(process.pid));
      break;
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
      try {
        if (abandoned(lock)) rmSync(lock, { recursive: true, force: true });
      } catch {}
      Atomics.wait(pause, 0, 0, 250);
    }
  }
  try {
    fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

if (staleBuilds().length > 0) {
  let built = true;
  withBuildLock(() => {
    const stale = staleBuilds();
    if (stale.length === 0) return;
    console.log(`samlkit demo: building ${stale.map((n) => `@samlkit/${n}`).join(', ')} first…`);
    const result = spawnSync('pnpm', ['-r', '--filter', '@samlkit/demo^...', 'build'], {
      cwd: root,
      stdio: 'inherit',
      shell: process.platform === 'win32',
    });
    built = result.status === 0;
  });
  if (!built) {
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
    console.log(`samlkit demo: ${signal}: answering the requests in flight, then stopping`);
    demo.stop().then(
      ({ drained, cut }) => {
        if (!drained) console.error(`samlkit demo: ${cut} connection(s) cut at the deadline`);
        process.exit(drained ? 0 : 1);
      },
      (error) => {
        console.error(`samlkit demo: could not stop cleanly: ${error?.message ?? error}`);
        process.exit(1);
      },
    );
  });
}
