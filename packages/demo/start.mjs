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
// One write, so that whoever reads the output sees the whole description at once.
process.stdout.write(`${demo.describe.join('\n')}\n`);

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
