// Child process for memory tests: reads one artifact file in full mode the way the CLI does (in
// chunks from a file stream) and prints its own peak RSS, so the figure is not blurred by the big
// buffers and garbage of the test process that made the artifact.

import { createReadStream, readFileSync } from 'node:fs';
import { readArtifact } from '../../../src/artifact/index.js';

const file = process.argv[2];
if (!file) throw new Error('usage: peak-rss.js FILE');
const info = await readArtifact(createReadStream(file, { highWaterMark: 512 * 1024 }), { mode: 'full' });
// VmHWM, not getrusage's maxRSS: Linux carries the forking parent's peak across exec into maxRSS,
// so a child of a big test process would report the parent's size.
const hwm = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
process.stdout.write(JSON.stringify({ maxRssKiB: Number(hwm), files: info.payloads.flatMap((p) => p.files) }) + '\n');
