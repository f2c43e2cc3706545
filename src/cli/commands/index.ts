// Every command of the CLI, in the order `usb-updater --help` lists them. A new command is one file
// in this folder and one line here.

import type { CliCommand } from '../command.js';
import { checkCommand } from './check.js';
import { configCommand } from './config.js';
import { daemonCommand } from './daemon.js';
import { diagnosticsCommand } from './diagnostics.js';
import { healthCommand } from './health.js';
import { inspectCommand } from './inspect.js';
import { installCommand } from './install.js';
import { reportsCommand } from './reports.js';
import { statusCommand } from './status.js';
import { watchCommand } from './watch.js';

export const COMMANDS: readonly CliCommand[] = [inspectCommand, checkCommand, installCommand, statusCommand, reportsCommand, healthCommand, configCommand, watchCommand, daemonCommand, diagnosticsCommand];
