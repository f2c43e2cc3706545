// LEDs through sysfs (/sys/class/leds/NAME): one pattern per phase, written as the kernel's LED
// class expects (trigger first, then the attributes that trigger creates). A missing LED or an
// unwritable attribute is logged once per LED and otherwise ignored: feedback never stops an update.

import type { Logger } from '../log/index.js';
import type { Phase } from './phases.js';
import type { FeedbackSystem } from './ports.js';

export type LedPattern = 'on' | 'off' | 'heartbeat' | { on: number; off: number };

export interface LedConfig {
  name: string;
  patterns: { [P in Phase]?: LedPattern | undefined };
}

/**
 * Defaults that read on a single LED: activity blinks faster the more is at stake (a blip when the
 * stick is seen, a steady blink while checking, fast while writing), a heartbeat after the reboot,
 * solid when done, a slow blink for failure, dark when the stick held nothing to install.
 */
export const DEFAULT_LED_PATTERNS: Record<Phase, LedPattern> = {
  'stick-seen': { on: 50, off: 950 },
  checking: { on: 500, off: 500 },
  installing: { on: 100, off: 100 },
  rebooting: 'on',
  verifying: 'heartbeat',
  success: 'on',
  nothing: 'off',
  failure: { on: 1000, off: 1000 },
};

/** The attribute writes that set `pattern`, in order; `max` is the LED's max_brightness. */
export function ledWrites(pattern: LedPattern, max: string): [attribute: string, value: string][] {
  if (pattern === 'off') return [['trigger', 'none'], ['brightness', '0']];
  if (pattern === 'on') return [['trigger', 'none'], ['brightness', max]];
  if (pattern === 'heartbeat') return [['trigger', 'heartbeat']];
  // The timer trigger creates delay_on/delay_off; writing brightness now would switch it off again.
  return [['trigger', 'timer'], ['delay_on', String(pattern.on)], ['delay_off', String(pattern.off)]];
}

const samePattern = (a: LedPattern | null, b: LedPattern): boolean => JSON.stringify(a) === JSON.stringify(b);

/** One LED: writes are serialised, and only the newest pattern asked for is written. */
class Led {
  private applied: LedPattern | null = null;
  private wanted: LedPattern | null = null;
  private writing: Promise<void> = Promise.resolve();
  /** Set and cleared by drain() itself, so that no phase slips in between its end and its promise's. */
  private busy = false;
  private max: string | null = null;
  private reported = false;

  constructor(
    private readonly dir: string,
    private readonly config: LedConfig,
    private readonly system: FeedbackSystem,
    private readonly log: Logger,
  ) {}

  show(phase: Phase): void {
    this.wanted = this.config.patterns[phase] ?? DEFAULT_LED_PATTERNS[phase];
    if (!this.busy) this.writing = this.drain();
  }

  idle(): Promise<void> {
    return this.writing;
  }

  private async drain(): Promise<void> {
    this.busy = true;
    try {
      while (this.wanted !== null && !samePattern(this.applied, this.wanted)) {
        const pattern = this.wanted;
        try {
          for (const [attribute, value] of ledWrites(pattern, await this.maxBrightness())) await this.system.writeFile(`${this.dir}/${attribute}`, value);
        } catch (err) {
          // Once per LED: a missing LED would otherwise log at every phase.
          if (!this.reported) this.log.warn('feedback LED cannot be set; ignoring it', { led: this.config.name, dir: this.dir, error: (err as Error).message });
          this.reported = true;
        }
        this.applied = pattern;
      }
    } finally {
      // In the same step as the last check: a phase shown from now on starts a new drain.
      this.busy = false;
    }
  }

  private async maxBrightness(): Promise<string> {
    if (this.max === null) {
      // LEDs with a PWM range (max 255) would be barely lit with 1; plain GPIO LEDs report 1.
      const text = await this.system.readFile(`${this.dir}/max_brightness`).catch(() => '1');
      this.max = /^\d+$/.test(text.trim()) && text.trim() !== '0' ? text.trim() : '1';
    }
    return this.max;
  }
}

export interface LedChannel {
  show(phase: Phase): void;
  /** Resolves once the writes asked for so far are done. */
  idle(): Promise<void>;
}

export function ledChannel(sysfsRoot: string, leds: readonly LedConfig[], system: FeedbackSystem, log: Logger): LedChannel {
  const all = leds.map((config) => new Led(`${sysfsRoot.replace(/\/+$/, '')}/${config.name}`, config, system, log));
  return {
    show: (phase) => all.forEach((led) => led.show(phase)),
    idle: async () => {
      await Promise.all(all.map((led) => led.idle()));
    },
  };
}
