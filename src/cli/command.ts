// What a command of the CLI is: a definition that registers itself on the program (its options,
// help and exit codes) and whose action loads its work only when it runs. Light on purpose: every
// command's definition is imported at start-up, none of its work.

import type { Command } from 'commander';
import type { ErrorCode } from '../errors/index.js';
import type { Io } from './io.js';

/** Runs a command's work; a number it returns is the exit code, an UpdaterError maps through `exitFor`. */
export type Run = (work: () => Promise<unknown>, json: boolean, exitFor?: (code: ErrorCode) => number) => Promise<void>;

export interface CommandContext {
  io: Io;
  run: Run;
}

export interface CliCommand {
  register(program: Command, context: CommandContext): void;
}

/** Commander's argParser for a repeatable option. */
export const collect = (value: string, previous: string[]): string[] => [...previous, value];
