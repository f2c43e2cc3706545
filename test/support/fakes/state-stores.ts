// Stores for the state tests: an in-memory StateStore with deterministic clock and ids, file
// operations that stop (a kill) or fail (ENOSPC, EROFS) at a chosen step, and the shortest event
// path through the machine to any state, for building journals in every state.

import * as fsp from 'node:fs/promises';
import { basename } from 'node:path';
import type { FileOps } from '../../../src/system/state/state-store.js';
import { INITIAL_STATE, STATES, TRANSITIONS, eventsOf, next, type Event, type State, type StateDeps, type StateFile, type StateStore } from '../../../src/state/index.js';

export interface MemoryStore extends StateStore {
  readonly files: Map<string, string>;
  /** Every write, in order: `replace journal.json`, `append ledger.jsonl`… */
  readonly log: string[];
}

export function memoryStore(initial: Partial<Record<StateFile, string>> = {}): MemoryStore {
  const files = new Map<string, string>(Object.entries(initial));
  const log: string[] = [];
  return {
    files,
    log,
    read: (file) => Promise.resolve(files.get(file) ?? null),
    replace(file, data) {
      log.push(`replace ${file}`);
      files.set(file, data);
      return Promise.resolve();
    },
    append(file, data) {
      log.push(`append ${file}`);
      files.set(file, (files.get(file) ?? '') + data);
      return Promise.resolve();
    },
    setAside(file) {
      log.push(`setAside ${file}`);
      const text = files.get(file);
      if (text === undefined) return Promise.reject(new Error(`${file}: absent`));
      files.set(`${file}.bad`, text);
      files.delete(file);
      return Promise.resolve(`${file}.bad`);
    },
  };
}

/** Deps with a clock that moves one second per call and ids dep-1, dep-2… */
export function testDeps(store: StateStore, bootId = 'boot-1'): StateDeps {
  let tick = 0;
  let id = 0;
  return {
    store,
    bootId,
    now: () => new Date(Date.UTC(2026, 10, 27, 10, 0, tick++)).toISOString(),
    newId: () => `dep-${++id}`,
  };
}

/** The shortest list of events from the initial state to `target` (BFS over the table). */
export function pathTo(target: State): Event[] {
  const paths = new Map<State, Event[]>([[INITIAL_STATE, []]]);
  const queue: State[] = [INITIAL_STATE];
  for (let state = queue.shift(); state !== undefined; state = queue.shift()) {
    for (const event of eventsOf(state)) {
      const to = next(state, event);
      if (!paths.has(to)) {
        paths.set(to, [...(paths.get(state) ?? []), event]);
        queue.push(to);
      }
    }
  }
  const path = paths.get(target);
  if (path === undefined) throw new Error(`${target} is unreachable`);
  return path;
}

/** Every edge of the table, as [from, event, to]. */
export function edges(): [State, Event, State][] {
  return STATES.flatMap((from) => eventsOf(from).map((event): [State, Event, State] => [from, event, (TRANSITIONS[from] as Record<string, State>)[event] ?? from]));
}

/** How a faulty step fails: `kill` stops the process there (nothing after it runs), an errno fails that one call. */
export type Fault = 'kill' | 'ENOSPC' | 'EROFS' | 'EIO';

export class Killed extends Error {
  constructor(step: string) {
    super(`killed at ${step}`);
  }
}

export interface FaultyOps extends FileOps {
  /** The steps run so far, e.g. `write journal.json.tmp`. */
  readonly steps: string[];
}

/**
 * node:fs/promises with a fault at step number `failAt` (0-based; Infinity: none), or at the first
 * step with that label (`write journal.json.tmp`), counting every
 * open, write, sync, close, rename, link, unlink and mkdir. After a kill every later call throws
 * without acting, as if the process were gone. A failing write first writes half of its data, as a
 * full disk does.
 */
export function faultyOps(failAt: number | string, fault: Fault): FaultyOps {
  const steps: string[] = [];
  let killed = false;
  const step = (label: string): boolean => {
    if (killed) throw new Killed(`${label} (after the kill)`);
    const index = steps.push(label) - 1;
    const hit = typeof failAt === 'number' ? index === failAt : label === failAt && !steps.slice(0, index).includes(label);
    if (!hit) return false;
    if (fault === 'kill') {
      killed = true;
      throw new Killed(label);
    }
    return true;
  };
  const fail = (label: string): never => {
    throw Object.assign(new Error(`${fault}: ${label}`), { code: fault });
  };
  const guard = async <T>(label: string, run: () => Promise<T>): Promise<T> => (step(label) ? fail(label) : run());

  const open = async (path: string, flags?: number, mode?: number): Promise<fsp.FileHandle> => {
    const name = basename(path);
    const handle = await guard(`open ${name}`, () => fsp.open(path, flags, mode));
    const wrapped = {
      write: async (data: string) => {
        if (step(`write ${name}`)) {
          await handle.write(data.slice(0, Math.floor(data.length / 2)));
          fail(`write ${name}`);
        }
        return handle.write(data);
      },
      sync: () => guard(`sync ${name}`, () => handle.sync()),
      close: async () => {
        // The descriptor is released even when the step fails, as the kernel does on exit.
        if (step(`close ${name}`)) {
          await handle.close();
          fail(`close ${name}`);
        }
        return handle.close();
      },
    };
    return new Proxy(handle, {
      get: (target, prop) => {
        if (Object.hasOwn(wrapped, prop)) return wrapped[prop as keyof typeof wrapped];
        const value: unknown = Reflect.get(target, prop);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
  };
  return {
    steps,
    open: open as FileOps['open'],
    rename: (from, to) => guard(`rename ${basename(String(from))}`, () => fsp.rename(from, to)),
    link: (from, to) => guard(`link ${basename(String(to))}`, () => fsp.link(from, to)),
    unlink: (path) => guard(`unlink ${basename(String(path))}`, () => fsp.unlink(path)),
    mkdir: ((path: string, options: Parameters<typeof fsp.mkdir>[1]) => guard('mkdir', () => fsp.mkdir(path, options))) as FileOps['mkdir'],
  };
}
