// @samlkit/cli: the `samlkit` command, also callable in-process.
export type { CliIo, Command, CommandArgs } from './command.js';
export { UsageError } from './command.js';
export { COMMANDS, main, nodeIo, runFromCommandLine } from './main.js';
