// The log formats a command line may name (--log-format): kept apart from the winston-backed logger,
// so that the CLI's option parsing does not load winston for commands that never log.

import type { LogFormat } from './logger.js';

export const LOG_FORMATS: readonly LogFormat[] = ['auto', 'journal', 'human', 'json'];
