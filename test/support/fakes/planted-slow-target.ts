// A fuzz target with a planted quadratic path, for testing the time oracle: an input starting with
// QUAD costs time in the square of its length, any other input time in proportion to its length.
// The cost is spent waiting on the clock, so it is the same on a busy machine and an idle one.

import { performance } from 'node:perf_hooks';
import type { FuzzTarget } from '../../fuzz/target.js';

/** Microseconds per byte of a linear input, and per byte squared of a quadratic one. */
const LINEAR_US = 20;
const QUADRATIC_US = 5;

function spin(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) { /* the planted cost */ }
}

export const isQuadratic = (input: Buffer): boolean => input.toString('latin1').startsWith('QUAD');

const plantedSlowTarget: FuzzTarget = {
  name: 'planted-slow',
  seeds: () => [
    ...[10, 40, 80, 120, 160, 200, 240].map((n) => Buffer.from(`LINEAR${'l'.repeat(n)}`)),
    Buffer.from(`QUAD${'q'.repeat(160)}`),
  ],
  dictionary: [],
  maxLength: 256,
  covers: (url) => url.endsWith('/planted-slow-target.js'),
  run(input) {
    const n = input.length;
    spin(isQuadratic(input) ? (n * n * QUADRATIC_US) / 1000 : (n * LINEAR_US) / 1000);
    return Promise.resolve(isQuadratic(input) ? 'quadratic' : 'linear');
  },
};

export default plantedSlowTarget;
