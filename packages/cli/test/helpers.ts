import { type CliIo, main } from '@samlkit/cli';

/** Output captured from one in-process run of `samlkit`. */
export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `main()` with captured streams, an optional stdin text and in-memory files. */
export async function run(
  argv: string[],
  opts: { stdin?: string; files?: Record<string, string>; now?: Date } = {},
): Promise<RunResult> {
  let stdout = '';
  let stderr = '';
  const files = { ...opts.files };
  const io: CliIo = {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
    readStdin: async () => opts.stdin ?? '',
    readFile: async (path) => {
      const f = files[path];
      if (f === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
      return f;
    },
    writeFile: async (path, content) => {
      files[path] = content;
    },
    fetch: () => Promise.reject(new Error('no network in tests')),
    now: () => opts.now ?? new Date('2026-11-23T18:00:00Z'),
  };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}
