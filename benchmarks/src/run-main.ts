/**
 * Runs a worker's main function. A promise that never settles lets Node exit with code 0 and
 * nothing written; this turns that (and any error) into a non-zero exit the parent sees.
 */
export function runMain(name: string, main: () => Promise<void>): void {
  let done = false;
  process.on('exit', () => {
    if (!done && !process.exitCode) {
      console.error(`${name}: exited before finishing (a promise never settled)`);
      process.exitCode = 1;
    }
  });
  main().then(
    () => {
      done = true;
    },
    (e: unknown) => {
      console.error(e);
      process.exitCode = 1;
    },
  );
}
