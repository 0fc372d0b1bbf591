import { realpathSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { isSamlError } from '@samlkit/core';
import { type CliIo, type Command, type CommandArgs, UsageError } from './command.js';
import { attachedHint } from './hints.js';
import { didYouMean } from './suggest.js';

/**
 * The subcommands. Register a new one with one line: its name and a lazy import of the module
 * in `src/commands/` whose default export is a {@link Command}.
 */
export const COMMANDS: Readonly<Record<string, () => Promise<{ default: Command }>>> = {
  decode: () => import('./commands/decode.js'),
  'authn-request': () => import('./commands/authn-request.js'),
  verify: () => import('./commands/verify.js'),
  'verify-logout': () => import('./commands/verify-logout.js'),
  metadata: () => import('./commands/metadata.js'),
  'idp-metadata': () => import('./commands/idp-metadata.js'),
  federation: () => import('./commands/federation.js'),
  keys: () => import('./commands/keys.js'),
  'dev-idp': () => import('./commands/dev-idp.js'),
};

/** Standard streams, the file system and the global fetch. */
export const nodeIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  readStdin: async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  },
  readFile: (path) => readFile(path, 'utf8'),
  writeFile: async (path, content, mode) => {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, content, mode === undefined ? 'utf8' : { encoding: 'utf8', mode });
  },
  fetch: (...args) => fetch(...args),
  now: () => new Date(),
};

async function topUsage(): Promise<string> {
  const names = Object.keys(COMMANDS);
  const width = Math.max(...names.map((n) => n.length));
  const lines = await Promise.all(
    names.map(async (name) => {
      const summary = await COMMANDS[name]!().then(
        (m) => m.default.summary,
        () => '',
      );
      return `  ${name.padEnd(width)}  ${summary}`.trimEnd();
    }),
  );
  return [
    'Usage: samlkit <command> [options]',
    '',
    'Commands:',
    ...lines,
    '',
    'Run `samlkit <command> --help` for the options of a command.',
    'Exit codes: 0 success, 1 failure (JSON {code, message} on stdout), 2 usage error.',
    '',
  ].join('\n');
}

/**
 * A usage error as one line: what is wrong, and where the options are (the whole usage text would
 * push the message out of sight).
 */
function usageLine(command: string, message: string): string {
  return `samlkit ${command}: ${message}; run \`samlkit ${command} --help\` for the options\n`;
}

/** node:util parseArgs' errors in the CLI's words, with a suggestion for an unknown flag. */
function parseErrorMessage(err: unknown, flags: readonly string[]): string {
  const e = err as { code?: string; message?: string };
  if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const typed = /'(-{1,2}[^'\s]+)'/.exec(e.message ?? '')?.[1] ?? '';
    const guess = didYouMean(typed.replace(/^-+/, ''), [...flags, 'help']);
    return `unknown option ${typed}${guess ? ` (did you mean --${guess}?)` : ''}`;
  }
  return (e.message ?? String(err)).split('\n')[0]!;
}

/** The failure object printed on stdout with exit code 1. */
function failure(err: unknown): Record<string, unknown> {
  if (isSamlError(err)) {
    const hint = attachedHint(err);
    return {
      code: err.code,
      message: err.message,
      ...(hint !== undefined && { hint }),
      details: err.details,
    };
  }
  const e = err as { code?: unknown; message?: unknown };
  return {
    code: typeof e?.code === 'string' ? e.code : 'ERROR',
    message: typeof e?.message === 'string' ? e.message : String(err),
  };
}

/**
 * Runs `samlkit` with the given arguments (without `node` and the script path).
 *
 * @param argv - the arguments, e.g. `['decode', '-']`
 * @param io - streams and file access (defaults to the process's)
 * @returns the exit code: 0 success, 1 failure (one JSON object on stdout), 2 usage error
 */
export async function main(argv: readonly string[], io: CliIo = nodeIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? io.stderr : io.stdout)(await topUsage());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version') {
    io.stdout('samlkit 0.1.0\n');
    return 0;
  }
  const load = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!load) {
    const guess = didYouMean(name, Object.keys(COMMANDS));
    io.stderr(
      `samlkit: unknown command ${JSON.stringify(name)}${guess ? ` (did you mean ${guess}?)` : ''}; run \`samlkit --help\` for the commands\n`,
    );
    return 2;
  }
  const command = (await load()).default;
  let args: CommandArgs;
  try {
    const parsed = parseArgs({
      args: [...rest],
      options: { ...command.options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
    if (parsed.values.help) {
      io.stdout(command.usage);
      return 0;
    }
    if (parsed.positionals.length > (command.maxPositionals ?? 0)) {
      throw new UsageError(`too many arguments: ${parsed.positionals.join(' ')}`);
    }
    args = { values: parsed.values, positionals: parsed.positionals };
  } catch (err) {
    io.stderr(usageLine(name, parseErrorMessage(err, Object.keys(command.options))));
    return 2;
  }
  try {
    return await command.run(args, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(usageLine(name, err.message));
      return 2;
    }
    // The same shape as a success: one JSON object, indented.
    io.stdout(`${JSON.stringify(failure(err), null, 2)}\n`);
    return 1;
  }
}

function invokedDirectly(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

/**
 * Runs `samlkit` with command-line arguments and sets `process.exitCode`: what the executable
 * does. Used by `dist/main.js` when run directly and by the `bin/samlkit.js` launcher.
 * @param argv - the arguments after the executable name
 */
export function runFromCommandLine(argv: readonly string[]): void {
  // If the work never settles (a stalled stream), Node exits on an empty event loop: make that a
  // failure rather than a silent success.
  process.exitCode = 1;
  main([...argv]).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`samlkit: ${(err as Error)?.stack ?? String(err)}\n`);
      process.exitCode = 1;
    },
  );
}

if (invokedDirectly()) runFromCommandLine(process.argv.slice(2));
