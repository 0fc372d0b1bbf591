import type { ParseArgsConfig } from 'node:util';

/** Where a command reads input and writes output (replaceable in tests). */
export interface CliIo {
  /** Writes to standard output. */
  readonly stdout: (text: string) => void;
  /** Writes to standard error. */
  readonly stderr: (text: string) => void;
  /** Reads all of standard input as UTF-8. */
  readonly readStdin: () => Promise<string>;
  /** Reads a file as UTF-8. */
  readonly readFile: (path: string) => Promise<string>;
  /** Writes a file (creating parent directories is the caller's business). */
  readonly writeFile: (path: string, content: string, mode?: number) => Promise<void>;
  /** `fetch`, for commands that read URLs. */
  readonly fetch: typeof fetch;
  /** The current time (for `--now`-less commands). */
  readonly now: () => Date;
}

/** Parsed arguments as `node:util` `parseArgs` returns them. */
export interface CommandArgs {
  readonly values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  readonly positionals: string[];
}

/** One `samlkit` subcommand: its flags, its help text and what it does. */
export interface Command {
  /** One line for `samlkit --help`. */
  readonly summary: string;
  /** The usage text printed by `samlkit <command> --help` and on usage errors. */
  readonly usage: string;
  /** Flags in `node:util` `parseArgs` form (`--help` is added for every command). */
  readonly options: NonNullable<ParseArgsConfig['options']>;
  /** The most positional arguments accepted (default 0). */
  readonly maxPositionals?: number;
  /** Runs the command; returns the exit code (0 success, 1 failure). */
  run(args: CommandArgs, io: CliIo): Promise<number>;
}

/** A mistake in how the command was called: exit code 2, message on stderr. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Reads a string flag, or throws UsageError when `required` and absent. */
export function stringFlag(args: CommandArgs, name: string, required: true): string;
export function stringFlag(args: CommandArgs, name: string, required?: false): string | undefined;
export function stringFlag(args: CommandArgs, name: string, required = false): string | undefined {
  const v = args.values[name];
  if (Array.isArray(v)) throw new UsageError(`--${name} may be given only once`);
  if (v === undefined) {
    if (required) throw new UsageError(`--${name} is required`);
    return undefined;
  }
  if (typeof v !== 'string') throw new UsageError(`--${name} needs a value`);
  return v;
}

/** Reads a repeatable string flag. */
export function stringList(args: CommandArgs, name: string): string[] {
  const v = args.values[name];
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).map(String);
}

/** Reads the input named by a positional argument: `-` is standard input, else the text itself. */
export async function readInputArgument(value: string, io: CliIo): Promise<string> {
  return value === '-' ? io.readStdin() : value;
}
