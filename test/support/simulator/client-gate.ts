// Gates: scripts put first on the PATH of a command run in the A/B simulator (or named in its
// config), in front of the real programs, so that a fault strikes at a named point instead of after
// a delay. At a held point a gate says so in a file (`at-POINT`) and waits until the test lets it go
// (`go-POINT`), or until the test cuts the power. Then it runs the real program unchanged.
//   mender       points `version`, `install`, `commit`, `rollback`, `show-artifact`… (the verb), before
//                the real client runs, and `VERB-done` after it ran; `fail-VERB` makes the verb
//                exit 1 without running the client; every verb called is listed in `calls`.
//   fw_printenv  point `printenv`.
//   command(name, then): a script of our own (a health check, the reboot command), point `name`.
// Gate files live in a host folder under /tmp, which the simulator shares at the same path.

import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The PATH of a boot of the simulator. */
export const BOOT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Polls (not a timed assertion: the deadline only turns a hang into a failure). */
export async function until(what: string, ready: () => boolean, running?: Promise<unknown>, ms = 120_000): Promise<void> {
  let settled = false;
  void running?.then(() => (settled = true), () => (settled = true));
  for (const start = Date.now(); !ready(); ) {
    if (settled) throw new Error(`ended before ${what}`);
    if (Date.now() - start > ms) throw new Error(`no ${what} within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const HOLD = [
  'hold() {',
  '  if [ -e "$GATE/hold-$1" ]; then',
  '    rm -f "$GATE/hold-$1"',
  '    : > "$GATE/at-$1"',
  '    while [ ! -e "$GATE/go-$1" ]; do sleep 0.02; done',
  '  fi',
  '}',
];

export class Gate {
  readonly dir: string;

  constructor(parent: string) {
    this.dir = mkdtempSync(join(parent, 'gate-'));
    mkdirSync(join(this.dir, 'bin'));
    this.script('mender', [
      'verb=other',
      'for arg in "$@"; do case "$arg" in -*) ;; *) verb=$arg; break ;; esac; done',
      'case " $* " in *" --version "*) verb=version ;; esac',
      'echo "$verb" >> "$GATE/calls"',
      'hold "$verb"',
      'if [ -e "$GATE/fail-$verb" ]; then echo "gate: mender $verb made to fail" >&2; exit 1; fi',
      'if [ ! -e "$GATE/hold-$verb-done" ]; then exec /usr/bin/mender "$@"; fi',
      '/usr/bin/mender "$@"',
      'rc=$?',
      'hold "$verb-done"',
      'exit $rc',
    ]);
    this.script('fw_printenv', ['hold printenv', 'exec /usr/bin/fw_printenv "$@"']);
  }

  /** A program of the test's own, first on the gate's PATH (a fake `systemctl`, say); may `hold POINT`. */
  script(name: string, body: readonly string[]): string {
    const path = join(this.dir, 'bin', name);
    writeFileSync(path, ['#!/bin/sh', `# Test gate (test/support/simulator/client-gate.ts): ${name}.`, ...HOLD, ...body, ''].join('\n'));
    chmodSync(path, 0o755);
    return path;
  }

  /** A command of our own that holds at point `name`, then execs `then` (or exits with the code in file `exit-NAME`, default 0). */
  command(name: string, then: readonly string[] = []): string {
    const run = then.length > 0 ? `exec ${then.map((a) => `'${a}'`).join(' ')}` : `exit "$(cat "$GATE/exit-${name}" 2>/dev/null || echo 0)"`;
    return this.script(name, [`hold ${name}`, run]);
  }

  /** The environment that puts the gates in front of the real programs. */
  get env(): Record<string, string> {
    return { PATH: `${this.dir}/bin:${BOOT_PATH}`, GATE: this.dir };
  }

  hold(point: string): void {
    rmSync(join(this.dir, `at-${point}`), { force: true });
    rmSync(join(this.dir, `go-${point}`), { force: true });
    writeFileSync(join(this.dir, `hold-${point}`), '');
  }

  isHeld(point: string): boolean {
    return existsSync(join(this.dir, `at-${point}`));
  }

  reached(point: string, running?: Promise<unknown>): Promise<void> {
    return until(`the gate at ${point}`, () => this.isHeld(point), running);
  }

  release(point: string): void {
    writeFileSync(join(this.dir, `go-${point}`), '');
  }

  /** The `mender` verbs called through the gate so far, in order. */
  calls(): string[] {
    return existsSync(join(this.dir, 'calls')) ? readFileSync(join(this.dir, 'calls'), 'utf8').split('\n').filter((l) => l !== '') : [];
  }

  /** Makes `mender VERB` exit 1 (true) or run again (false). */
  fail(verb: string, on = true): void {
    if (on) writeFileSync(join(this.dir, `fail-${verb}`), '');
    else rmSync(join(this.dir, `fail-${verb}`), { force: true });
  }

  /** The exit code of command(name) from now on. */
  exitCode(name: string, code: number): void {
    writeFileSync(join(this.dir, `exit-${name}`), String(code));
  }
}
