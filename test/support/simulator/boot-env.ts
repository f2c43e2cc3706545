// The U-Boot environment of a simulated A/B device (ab-device.ts) and the bootloader step that runs
// on it before every boot. The env is a real env file made by `mkenvimage` and only ever read and
// written through `fw_printenv`/`fw_setenv -c`, the tools the client itself uses inside the device.

import { open, readFile, rm, writeFile } from 'node:fs/promises';
import { runProcess, type ProcessResult } from '../harness/process.js';
import { BOOT_ENV_SIZE, PARTITION_NUMBER, type Partition } from './rootfs-image.js';

export type BootEnvValues = Record<string, string>;

/** Parses `fw_printenv` output: `name=value` lines, split at the first `=`. */
export function parseBootEnv(text: string): BootEnvValues {
  const env: BootEnvValues = {};
  for (const line of text.split('\n')) {
    const at = line.indexOf('=');
    if (at > 0) env[line.slice(0, at)] = line.slice(at + 1);
  }
  return env;
}

export interface BootloaderStep {
  /** What the bootloader writes to the env (nothing when no update is pending). */
  changes: BootEnvValues;
  /** bootcount for this boot (0 when no update is pending: U-Boot then does not count). */
  bootcount: number;
  /** altbootcmd ran: mender_boot_part went back to the other partition. */
  fellBack: boolean;
}

/**
 * The step before each boot, as U-Boot's bootcount (CONFIG_BOOTCOUNT_ENV: counted and saved only
 * while upgrade_available=1) and meta-mender's altbootcmd (past bootlimit: the other partition and
 * upgrade_available=0; bootcount stays) do it. Pure.
 */
export function bootloaderStep(env: Readonly<BootEnvValues>): BootloaderStep {
  if (env.upgrade_available !== '1') return { changes: {}, bootcount: 0, fellBack: false };
  const bootcount = Number(env.bootcount ?? '0') + 1;
  const bootlimit = Number(env.bootlimit ?? '0');
  const changes: BootEnvValues = { bootcount: String(bootcount) };
  // bootlimit 0 disables the limit in U-Boot.
  if (bootlimit > 0 && bootcount > bootlimit) {
    const back = env.mender_boot_part === PARTITION_NUMBER.A ? PARTITION_NUMBER.B : PARTITION_NUMBER.A;
    Object.assign(changes, { mender_boot_part: back, mender_boot_part_hex: Number(back).toString(16), upgrade_available: '0' });
    return { changes, bootcount, fellBack: true };
  }
  return { changes, bootcount, fellBack: false };
}

/** The partition `mender_boot_part` names. */
export function partitionOf(bootPart: string | undefined): Partition {
  if (bootPart === PARTITION_NUMBER.A) return 'A';
  if (bootPart === PARTITION_NUMBER.B) return 'B';
  throw new Error(`ab-device: mender_boot_part=${String(bootPart)} names neither partition (${PARTITION_NUMBER.A}, ${PARTITION_NUMBER.B})`);
}

async function check(command: string, args: readonly string[], input?: Buffer): Promise<ProcessResult> {
  const result = await runProcess(command, args, input === undefined ? {} : { input });
  if (result.code !== 0) throw new Error(`ab-device: ${command} ${args.join(' ')} exited ${result.code}\n${result.output}`);
  return result;
}

/** The env file `file` on the host, through a fw_env.config of its own (`config`). */
export class BootEnv {
  private constructor(private readonly config: string) {}

  /** Writes `values` as a new env file with mkenvimage (`defaults` is the text file it reads). */
  static async create(file: string, config: string, defaults: string, values: Readonly<BootEnvValues>): Promise<BootEnv> {
    await writeFile(defaults, Object.entries(values).map(([k, v]) => `${k}=${v}\n`).join(''));
    const size = `0x${BOOT_ENV_SIZE.toString(16)}`;
    await check('mkenvimage', ['-s', size, '-o', file, defaults]);
    await writeFile(config, `${file} 0x0000 ${size}\n`);
    return new BootEnv(config);
  }

  /**
   * Writes `values` as a new env into `image` where the fw_env.config line `configLine` puts it (a
   * file and a byte offset, e.g. a raw partition of a disk image), and writes that line to `config`.
   */
  static async createAt(image: string, configLine: string, config: string, defaults: string, values: Readonly<BootEnvValues>): Promise<BootEnv> {
    const offset = Number(configLine.trim().split(/\s+/)[1]);
    await BootEnv.create(`${defaults}.bin`, config, defaults, values);
    const handle = await open(image, 'r+');
    try {
      await handle.write(await readFile(`${defaults}.bin`), 0, BOOT_ENV_SIZE, offset);
    } finally {
      await handle.close();
      await rm(`${defaults}.bin`);
    }
    await writeFile(config, configLine);
    return new BootEnv(config);
  }

  /** An env already in place, through a fw_env.config written to `config` holding `configLine`. */
  static async at(config: string, configLine: string): Promise<BootEnv> {
    await writeFile(config, configLine);
    return new BootEnv(config);
  }

  async read(): Promise<BootEnvValues> {
    return parseBootEnv((await check('fw_printenv', ['-c', this.config])).stdout);
  }

  /**
   * One batch, as the client writes it, so the env is never half-updated. libubootenv 0.3.2 takes
   * `name=value` lines here and ignores U-Boot's `name value` form without an error, hence the check.
   */
  async write(changes: Readonly<BootEnvValues>): Promise<void> {
    const script = Object.entries(changes).map(([k, v]) => `${k}=${v}\n`).join('');
    await check('fw_setenv', ['-c', this.config, '-s', '-'], Buffer.from(script));
    const env = await this.read();
    for (const [k, v] of Object.entries(changes)) {
      if (env[k] !== v) throw new Error(`ab-device: fw_setenv did not set ${k}=${v} (it is ${String(env[k])})`);
    }
  }
}
