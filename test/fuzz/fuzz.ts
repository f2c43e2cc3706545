// `npm run fuzz -- --seconds N [--target artifact|config|decide] [--seed S] [--runs R]`: fuzzes each target
// for N seconds (one after the other), prints executions, executions per second, blocks covered and
// findings, and writes each new finding to test/fuzz/regressions/<target>/. Exits 1 on any finding.

import { parseArgs } from 'node:util';
import { regressionDir } from './corpus-files.js';
import { runFuzz, type FuzzSummary } from './run-fuzz.js';
import { TARGET_NAMES, targetModule, type TargetName } from './targets.js';
import { DEFAULT_TIME_ORACLE } from './time-oracle.js';

const out = (line: string): void => void process.stdout.write(`${line}\n`);

export function describeSummary(s: FuzzSummary): string[] {
  const rate = s.executions / Math.max(s.seconds, 0.001);
  const outcomes = Object.entries(s.outcomes).sort((a, b) => b[1] - a[1]).map(([label, n]) => `${label} ${n}`).join('; ');
  return [
    `${s.target}: ${s.executions} executions in ${s.seconds.toFixed(1)} s (${rate.toFixed(0)}/s), ${s.blocks} blocks covered, corpus ${s.corpus}, seed ${s.seed}, ${s.findings.length} finding(s)`,
    `${s.target}: outcomes: ${outcomes}`,
    `${s.target}: worst cost ${(s.worst.costPerKb / 1000).toFixed(2)} ms per KB (${s.worst.ms.toFixed(0)} ms for ${(s.worst.bytes / 1024).toFixed(1)} KB; median then ${(s.worst.median / 1000).toFixed(3)} ms per KB)`,
    ...s.findings.map((f) => `${s.target}: finding ${f.kind} at ${f.seconds.toFixed(1)} s (execution ${f.exec}, ${f.input.length} bytes): ${f.message.slice(0, 300)}`),
  ];
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '60' },
      runs: { type: 'string' },
      target: { type: 'string' },
      seed: { type: 'string' },
      'timeout-ms': { type: 'string', default: '20000' },
      'max-rss-mb': { type: 'string', default: '1536' },
      'max-heap-mb': { type: 'string', default: '512' },
      'no-save': { type: 'boolean', default: false },
      'save-dir': { type: 'string' },
      quiet: { type: 'boolean', default: false },
      'slow-factor': { type: 'string', default: String(DEFAULT_TIME_ORACLE.factor) },
      'slow-floor-ms': { type: 'string', default: String(DEFAULT_TIME_ORACLE.floorMs) },
      'no-structure': { type: 'boolean', default: false },
    },
  });
  const number = (name: string, text: string | undefined, fallback: number): number => {
    if (text === undefined) return fallback;
    const value = Number(text);
    if (!Number.isFinite(value) || value < 0) throw new Error(`--${name}: not a number: ${text}`);
    return value;
  };
  if (values.target !== undefined && !TARGET_NAMES.includes(values.target as TargetName)) {
    throw new Error(`--target: ${values.target} is not one of ${TARGET_NAMES.join(', ')}`);
  }
  const targets = values.target === undefined ? TARGET_NAMES : [values.target as TargetName];
  // A seed that is printed, so any run can be repeated.
  const seed = number('seed', values.seed, Math.floor(Math.random() * 2 ** 31));
  let found = 0;
  for (const target of targets) {
    const summary = await runFuzz({
      targetModule: targetModule(target),
      seconds: number('seconds', values.seconds, 60),
      runs: number('runs', values.runs, Number.POSITIVE_INFINITY),
      seed,
      timeoutMs: number('timeout-ms', values['timeout-ms'], 20_000),
      maxRssMb: number('max-rss-mb', values['max-rss-mb'], 1536),
      maxHeapMb: number('max-heap-mb', values['max-heap-mb'], 512),
      // --save-dir: findings the code does not survive yet, kept apart from the replayed regressions.
      saveDir: values['no-save'] ? null : values['save-dir'] === undefined ? regressionDir(target) : `${values['save-dir'].replace(/\/?$/, '/')}${target}/`,
      log: values.quiet ? () => undefined : out,
      timeOracle: { factor: number('slow-factor', values['slow-factor'], DEFAULT_TIME_ORACLE.factor), floorMs: number('slow-floor-ms', values['slow-floor-ms'], DEFAULT_TIME_ORACLE.floorMs) },
      structured: !values['no-structure'],
    });
    for (const line of describeSummary(summary)) out(line);
    found += summary.findings.length;
  }
  return found === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`fuzz: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  },
);
