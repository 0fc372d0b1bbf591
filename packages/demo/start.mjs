// `pnpm start`: bundles the demo with the workspace packages' sources (bundle.mjs: no package
// build, about a second on a fresh clone), then starts it.
import { rmSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { bundleDemo } from './bundle.mjs';

let bundled;
try {
  bundled = await bundleDemo();
} catch (error) {
  console.error(
    `samlkit demo: could not bundle the demo from the sources: ${error?.message ?? error}`,
  );
  process.exit(1);
}
const { startDemo } = await import(pathToFileURL(bundled.file).href);
rmSync(bundled.file, { force: true });

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
