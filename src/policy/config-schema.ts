// The config file's schema: every key, its type, default and documentation, in one zod schema.
// It is the single source of truth: the loader validates with it, `config/config.schema.json` is
// generated from it (a test fails when the committed copy is stale), and the key table of config/README.md is
// checked against it. Keys are snake_case, like Mender's own files.

import * as z from 'zod';
import { expandBraces, GlobError } from './glob.js';
import { linearRegExpProblem } from './linear-regexp.js';
import { looksLikeSize, parseDuration, parseSize } from './units.js';

/** Longest glob or pattern in the config: the matching cost is the name's length times this. */
const MAX_PATTERN_LENGTH = 256;

function bracesProblem(value: string): string | null {
  try {
    expandBraces(value);
    return null;
  } catch (err) {
    if (err instanceof GlobError) return err.message;
    throw err;
  }
}

/** A regular expression RE2 runs in linear time (no backreferences or lookarounds). */
const regex = z
  .string()
  // abort: too long is reason enough; compiling 32 KiB of pattern would cost most of a second for nothing.
  .max(MAX_PATTERN_LENGTH, { message: `must be at most ${MAX_PATTERN_LENGTH} characters`, abort: true })
  .superRefine((value, ctx) => {
    const problem = linearRegExpProblem(value);
    if (problem !== null) ctx.addIssue({ code: 'custom', message: problem });
  });

/** Why a number of bytes is none, in words; null when it is one. */
function sizeProblem(value: number): string | null {
  if (Number.isNaN(value)) return 'not a number (.nan) is not a size';
  if (!Number.isFinite(value)) return 'infinity is not a size: write a number of bytes or with a unit, e.g. 8GiB';
  if (value < 0) return `${value} is negative: a size is 0 or more bytes`;
  if (!Number.isInteger(value)) return `${value} is not a whole number of bytes`;
  if (!Number.isSafeInteger(value)) return `${value} is too large: at most ${Number.MAX_SAFE_INTEGER} bytes`;
  return null;
}

/** The longest a timer can wait (2^31 - 1 ms, about 24.8 days): a longer one would fire at once. */
const MAX_DURATION_MS = 2 ** 31 - 1;

const size = z
  .union([z.number(), z.string()])
  .transform((value, ctx) => {
    const problem = typeof value === 'number' ? sizeProblem(value) : null;
    if (problem !== null) {
      ctx.addIssue({ code: 'custom', message: problem });
      return z.NEVER;
    }
    const bytes = typeof value === 'number' ? value : parseSize(value);
    if (bytes === null && typeof value === 'string' && looksLikeSize(value)) {
      ctx.addIssue({ code: 'custom', message: `${JSON.stringify(value)} is too large: at most ${Number.MAX_SAFE_INTEGER} bytes` });
      return z.NEVER;
    }
    if (bytes === null) {
      ctx.addIssue({ code: 'custom', message: `${JSON.stringify(value)} is not a size: write bytes or a number with a unit (KiB, MiB, GiB, TiB, kB, MB, GB, TB), e.g. 8GiB` });
      return z.NEVER;
    }
    return bytes;
  });

const duration = z.string().transform((value, ctx) => {
  const ms = parseDuration(value);
  if (ms === null) {
    ctx.addIssue({ code: 'custom', message: `${JSON.stringify(value)} is not a duration: write a number with a unit (ms, s, m, h), e.g. 30s, 5m, 1h30m` });
    return z.NEVER;
  }
  if (ms > MAX_DURATION_MS) {
    ctx.addIssue({ code: 'custom', message: `${JSON.stringify(value)} is too long: at most 596h (about 24.8 days), the longest a timer can wait` });
    return z.NEVER;
  }
  return ms;
});

const absolutePath = z.string().regex(/^\//, 'must be an absolute path (start with /)');
/** A path on the device; relative paths are taken from the config file's folder. */
const filePath = z.string().min(1, 'must not be empty');

/** A glob relative to the root of a stick: no leading /, no `..`. */
const stickGlob = z
  .string()
  .min(1, 'must not be empty')
  .max(MAX_PATTERN_LENGTH, `must be at most ${MAX_PATTERN_LENGTH} characters`)
  .refine((value) => bracesProblem(value) === null, { error: (issue) => bracesProblem(String(issue.input)) ?? 'braces expand too far' })
  .refine((value) => !value.startsWith('/'), 'must be relative to the root of the stick (no leading /)')
  .refine((value) => !value.split('/').includes('..'), 'must not contain .. (it would leave the stick)');

const namePattern = z.string().min(1, 'must not be empty').max(MAX_PATTERN_LENGTH, `must be at most ${MAX_PATTERN_LENGTH} characters`);

const usbId = z.string().regex(/^[0-9a-fA-F]{4}$/, 'must be 4 hexadecimal digits, as lsusb prints them (e.g. 0781)');

const device = z
  .strictObject({
    device_type_file: absolutePath
      .default('/var/lib/mender/device_type')
      .describe("Mender's device_type file (a line device_type=NAME). The device type must be in an artifact's device_type list."),
  })
  .describe('Where the facts about this device come from.');

const signature = z
  .strictObject({
    required: z.boolean().default(true).describe('Reject artifacts that are not signed by one of `keys`. Turning it off also accepts unsigned artifacts.'),
    keys: z
      .array(filePath)
      .default([])
      .describe('Public keys (PEM; RSA >= 2048 bits or EC P-256). Any one of them may verify an artifact, so a new key can be rolled out beside the old one.'),
    allow_augmented: z
      .boolean()
      .default(false)
      .describe('Accept artifacts whose unsigned augment section changes the payload type, depends or provides. Off by default: no signature covers those fields.'),
  })
  .describe('Signature rules. A signed artifact whose signature does not verify is always rejected.');

const artifacts = z
  .strictObject({
    allow: z.array(namePattern).default(['*']).describe('Artifact-name globs (* and ?): an artifact must match one of them.'),
    deny: z.array(namePattern).default([]).describe('Artifact-name globs that reject an artifact even if it matches `allow`.'),
    payload_types: z
      .array(z.string().min(1))
      .min(1, 'must list at least one payload type')
      .default(['rootfs-image'])
      .describe('Payload types that may be installed (rootfs-image, or update-module names such as single-file).'),
    max_size: size.prefault('8GiB').describe('Largest artifact file accepted, in bytes or with a unit (8GiB).'),
    retry_failed: z
      .boolean()
      .default(false)
      .describe('Install again an artifact that failed or was rolled back on this device before. Off by default: a stick left in must not start a loop.'),
  })
  .describe('Which artifacts may be installed.');

const versioning = z
  .strictObject({
    source: z
      .enum(['name', 'provide'])
      .default('name')
      .describe('Where the version comes from: the artifact name, or one of its provides (see `provide`).'),
    provide: z.string().min(1).default('rootfs-image.version').describe('The provide that holds the version when `source` is provide.'),
    pattern: regex
      .optional()
      .describe(
        'Regular expression that finds the version in the name or provide: the named group `version`, else the first group, else the whole match. RE2 syntax (that of Go regexp), run in time linear in the name: backreferences and lookarounds are refused, `(?P<version>...)` and `(?<version>...)` both name the group. Default per scheme: dotted, the last run of dotted numbers; semver, a full semver at the end.',
      ),
    scheme: z.enum(['dotted', 'semver']).default('dotted').describe('How versions compare: dotted numbers (1.10 > 1.9) or semver 2.0 (pre-releases sort first).'),
    allow_downgrade: z.boolean().default(false).describe('Allow installing a version lower than the running one.'),
    allow_reinstall: z.boolean().default(false).describe('Allow installing the running artifact, or another with the same version, again.'),
  })
  .describe('How artifact versions are found and compared with the running one.');

const selection = z
  .strictObject({
    on_tie: z
      .enum(['refuse', 'first-path'])
      .default('refuse')
      .describe('Two different acceptable artifacts with the same highest version: refuse both (default), or take the first by path. Copies of the same artifact (same name and checksums) never count as a tie.'),
  })
  .describe('How one artifact is chosen among several acceptable ones: always the highest version.');

const search = z
  .strictObject({
    paths: z
      .array(stickGlob)
      .min(1, 'must list at least one glob')
      .default(['*.mender', 'updates/*.mender'])
      .describe('Globs, relative to the root of the stick, of the files that are candidates: * and ? within a folder, [a-z], {a,b}, ** for any folders.'),
    max_depth: z.number().int().min(0).max(16).default(2).describe('How many folder levels below the root are searched (0: the root only).'),
    max_entries: z
      .number()
      .int()
      .min(1)
      .max(1_000_000)
      .default(10_000)
      .describe('Most folder entries examined on one stick; a stick with more is refused, not half-searched.'),
    timeout: duration.pipe(z.number().min(1000, 'must be at least 1s')).prefault('60s').describe('Time allowed to search a stick and read the headers of its candidates (30s, 5m).'),
  })
  .describe('Where artifacts are looked for on a stick.');

const usbMatch = z
  .strictObject({
    vendor_id: usbId.optional().describe('USB vendor id, 4 hex digits.'),
    product_id: usbId.optional().describe('USB product id, 4 hex digits.'),
    serial: z.string().min(1).optional().describe('USB serial number, exactly.'),
  })
  .refine((m) => m.vendor_id !== undefined || m.product_id !== undefined || m.serial !== undefined, 'name at least one of vendor_id, product_id, serial');

const media = z
  .strictObject({
    roots: z
      .array(absolutePath)
      .default(['/run/usb-updater/media'])
      .describe('Folders under which mounted filesystems count as sticks, whatever their device (the udev rule mounts sticks here).'),
    filesystems: z
      .array(z.string().min(1))
      .min(1, 'must list at least one filesystem type')
      .default(['vfat', 'exfat', 'ext4', 'ext3', 'ext2', 'ntfs3', 'iso9660', 'udf'])
      .describe('Filesystem types (as in /proc/self/mountinfo) a stick may carry.'),
    allow_loop_devices: z.boolean().default(false).describe('Treat loop devices as sticks (tests and demos).'),
    labels: z.array(z.string().min(1)).default([]).describe('If not empty: only filesystems with one of these labels count.'),
    uuids: z.array(z.string().min(1)).default([]).describe('If not empty: only filesystems with one of these UUIDs count.'),
    usb: z.array(usbMatch).default([]).describe('If not empty: only sticks whose USB identity matches one entry count.'),
    mount_timeout: duration
      .pipe(z.number().min(1000, 'must be at least 1s'))
      .prefault('15s')
      .describe('How long a USB disk may be plugged in without a mounted filesystem before the device shows MEDIA_UNREADABLE (no filesystem, a type not allowed, a mount that failed).'),
  })
  .describe('Which mounted media count as update sticks.');

const state = z
  .strictObject({
    dir: absolutePath
      .default('/data/usb-updater')
      .describe('Folder of the journal, the ledger and the lock. Must be on the data partition that both A/B slots mount, so the old image sees what the new one recorded.'),
  })
  .describe('Where the deployment state is kept.');

const reboot = z
  .strictObject({
    mode: z
      .enum(['immediate', 'delay', 'on-removal', 'never'])
      .default('immediate')
      .describe(
        'After an install that needs a reboot: reboot at once (immediate), after `delay`, once the stick is removed (on-removal; the daemon only, `install` leaves it to you), or never (the update stays pending until someone reboots).',
      ),
    delay: duration.prefault('10s').describe('How long to wait before rebooting when mode is delay (e.g. to let the technician read the result).'),
    command: z
      .array(z.string().min(1))
      .min(1, 'must name the command')
      .default(['systemctl', '--no-block', 'reboot'])
      .describe(
        'The reboot command and its arguments (no shell). The default only queues the reboot and returns, with or without a D-Bus system bus. Once the system is shutting down (this process or the command is sent SIGTERM, the command is ended by a signal, or systemd reports the system as stopping), the reboot counts as under way whatever the command returns: the update stays pending and the next boot decides.',
      ),
    timeout: duration
      .pipe(z.number().min(1000, 'must be at least 1s'))
      .prefault('60s')
      .describe('Time allowed for the reboot command to return; one still running then is killed and counts as failed (after an install: the install is rolled back, unless the system is shutting down).'),
  })
  .describe('Rebooting into the new partition.');

// The client's commands other than the install (which runs as long as the stream takes): one that
// hangs must not hold the deployment (and the lock) for ever; ended, it counts as failed.
const client = z
  .strictObject({
    timeout: duration
      .pipe(z.number().min(1000, 'must be at least 1s'))
      .prefault('5m')
      .describe('Time allowed for each Mender client command other than the install (commit, rollback, show-artifact); one still running then is killed and counts as failed (a commit then rolls back).'),
    stall_timeout: duration
      .pipe(z.number().min(1000, 'must be at least 1s'))
      .prefault('5m')
      .describe('Longest time the install may take no byte of the artifact; then it is ended (INSTALL_STALLED), nothing is pending and it does not count against the artifact.'),
  })
  .describe('The Mender client.');

// Health checks: what the trial boot of a new image must show before it is committed. Every check
// has a name, is required (a failure rolls back) or wanted (logged only), and is tried once plus
// `retries` more times, each attempt bounded by `timeout`, `interval` apart. Defaults per type.

const checkName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'must be 1 to 64 letters, digits, dots, dashes or underscores, starting with a letter or digit');

/** The keys every check has; `timeout` defaults per type (a command may take longer than a stat). */
function checkCommon(defaultTimeout: string) {
  return {
    name: checkName.describe('Unique name of the check, for the logs, the journal and `usb-updater status`.'),
    required: z.boolean().default(true).describe('true: the update is rolled back when this check fails. false ("wanted"): a failure is logged as a warning, never fatal.'),
    timeout: duration.pipe(z.number().min(100, 'must be at least 100ms')).prefault(defaultTimeout).describe(`Time allowed for one attempt (default ${defaultTimeout}).`),
    retries: z.number().int().min(0).max(1000).default(3).describe('Attempts after the first one fails (0: one attempt only).'),
    interval: duration.prefault('5s').describe('Pause between two attempts.'),
  };
}

// systemd's own rule for unit names, and never a leading dash: the name is an argument of systemctl.
const unitName = z
  .string()
  .regex(/^[A-Za-z0-9:_.\\@][A-Za-z0-9:_.\\@-]{0,254}$/, 'must be a systemd unit name (letters, digits, : _ . \\ @ -; not starting with -), e.g. app.service');

function isHttpUrl(value: string): boolean {
  if (!URL.canParse(value)) return false;
  const url = new URL(value);
  return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
}

const httpUrl = z
  .string()
  .refine(isHttpUrl, 'must be an http:// or https:// URL with a host, e.g. http://127.0.0.1:8080/health')
  // The URL is written to the logs and the journal with every result.
  .refine((value) => !isHttpUrl(value) || (new URL(value).username === '' && new URL(value).password === ''), 'must not hold a user name or password (it is written to the logs)');

/** A check of one type: `type`, the keys every check has, then its own keys. */
function checkOf<T extends string, Shape extends z.ZodRawShape>(type: T, defaultTimeout: string, shape: Shape, description: string) {
  return z.strictObject({ type: z.literal(type), ...checkCommon(defaultTimeout), ...shape }).describe(description);
}

const systemdUnitCheck = checkOf(
  'systemd-unit',
  '10s',
  { unit: unitName.describe('The unit (app.service). Healthy only when active: activating (a Restart=always loop looks like this) is retried, failed fails at once.') },
  'A systemd unit is active.',
);

const httpCheck = checkOf(
  'http',
  '5s',
  {
    url: httpUrl.describe('The URL to GET. Redirects are not followed: a 3xx answer is a status like any other.'),
    status: z.array(z.number().int().min(100).max(599)).min(1, 'must list at least one status').default([200]).describe('The statuses that count as healthy.'),
    insecure: z
      .boolean()
      .default(false)
      .describe('https only: accept a certificate that does not verify (self-signed). Off by default: the certificate must verify against the system CAs and name the host.'),
  },
  'An HTTP(S) GET answers with an expected status.',
);

const tcpCheck = checkOf(
  'tcp',
  '5s',
  {
    host: z.string().min(1, 'must not be empty').describe('Host name or IP address.'),
    port: z.number().int().min(1).max(65535).describe('TCP port that must accept a connection.'),
  },
  'A TCP port accepts a connection.',
);

const commandCheck = checkOf(
  'command',
  '30s',
  {
    command: z.array(z.string().min(1, 'must not be empty')).min(1, 'must name the command').describe('The program (an absolute path, or a name on PATH) and its arguments; run without a shell. Healthy when it exits 0.'),
    env: z.record(z.string(), z.string()).default({}).describe("Variables added to the service's environment for this command."),
  },
  'A command exits 0.',
);

const fileCheck = checkOf('file', '5s', { path: absolutePath.describe('A path that must exist (any type: file, folder, socket; links are followed).') }, 'A file exists.');

const healthCheck = z.discriminatedUnion('type', [systemdUnitCheck, httpCheck, tcpCheck, commandCheck, fileCheck]);

const health = z
  .strictObject({
    deadline: duration.pipe(z.number().min(1000, 'must be at least 1s')).prefault('5m').describe('Time allowed for all checks together; a check still failing or running then fails (HEALTH_TIMEOUT).'),
    checks: z
      .array(healthCheck)
      .superRefine((checks, ctx) => {
        const seen = new Map<string, number>();
        checks.forEach((check, index) => {
          const first = seen.get(check.name);
          if (first === undefined) seen.set(check.name, index);
          else ctx.addIssue({ code: 'custom', path: [index, 'name'], message: `duplicate check name "${check.name}": health.checks[${first}] has it already` });
        });
      })
      .prefault([])
      .describe('Checks run together at the first boot of a new image: systemd-unit, http, tcp, command, file. None: the boot passes once it reaches user space.'),
  })
  .describe('Health checks that decide whether a new image is committed or rolled back.');
/** The phases a technician can be shown (src/feedback/phases.ts keeps the same list). */
const phase = z.enum(['stick-seen', 'checking', 'installing', 'rebooting', 'verifying', 'success', 'nothing', 'failure']);

const ledPattern = z
  .union([
    z.enum(['on', 'off', 'heartbeat']),
    z.strictObject({
      on: duration.describe('How long the LED is lit in each blink (100ms).'),
      off: duration.describe('How long it is dark between blinks (900ms).'),
    }),
  ])
  .describe('on, off, heartbeat (the kernel heartbeat trigger), or a blink {on: 100ms, off: 900ms} (the kernel timer trigger).');

const led = z.strictObject({
  name: z
    .string()
    .min(1)
    .refine((value) => !value.includes('/') && value !== '.' && value !== '..', 'must be an LED name under the sysfs root, without /')
    .describe('The LED\'s folder name under `sysfs_root` (e.g. status or green:status).'),
  // An object rather than a record: a misspelt phase gets the list of phases and a suggestion.
  patterns: z
    .strictObject({
      'stick-seen': ledPattern.optional(),
      checking: ledPattern.optional(),
      installing: ledPattern.optional(),
      rebooting: ledPattern.optional(),
      verifying: ledPattern.optional(),
      success: ledPattern.optional(),
      nothing: ledPattern.optional(),
      failure: ledPattern.optional(),
    })
    .prefault({})
    .describe('Pattern per phase, replacing the default for that phase; a phase left out keeps its default.'),
});

const hook = z.strictObject({
  command: z.array(z.string().min(1)).min(1, 'must name the command').describe('The command and its arguments (no shell).'),
  phases: z.array(phase).min(1, 'must list at least one phase').optional().describe('The phases it runs for; all when left out.'),
  timeout: duration.pipe(z.number().min(100, 'must be at least 100ms')).prefault('10s').describe('How long one run may take before it is killed.'),
});

const feedback = z
  .strictObject({
    sysfs_root: absolutePath.default('/sys/class/leds').describe('Where the LED folders are (tests point it at a fake tree).'),
    leds: z.array(led).prefault([]).describe('LEDs that show the phase; each entry names one LED and may change its patterns.'),
    hooks: z
      .array(hook)
      .prefault([])
      .describe('Commands run at each phase with the phase, artifact, progress and error in USB_UPDATER_* environment variables. Never waited for: a hook that hangs or fails never holds up or fails an update.'),
    console: z
      .strictObject({ path: absolutePath.describe('The console written to (/dev/console, /dev/tty1).') })
      .nullable()
      .prefault(null)
      .describe('One short line per phase on a console the technician sees; null for none.'),
  })
  .describe('What a technician sees on the device: LEDs, hook commands, a console line.');

const logging = z
  .strictObject({
    format: z
      .enum(['auto', 'journal', 'human', 'json'])
      .default('auto')
      .describe('auto: journal under systemd (JOURNAL_STREAM names stderr), human on a terminal, else json. journal: a syslog priority prefix per line (sd-daemon(3)), key=value fields, no colours or times. human: time, colours. json: one object a line.'),
    level: z.enum(['debug', 'info', 'warn', 'error']).default('info').describe('The least severe level written.'),
    file: z
      .strictObject({
        path: absolutePath.describe('The log file (JSON lines).'),
        max_size: size.prefault('1MiB').describe('Size at which the file is rotated.'),
        max_files: z.number().int().min(2).max(100).default(3).describe('How many files are kept, the current one included (path, path.1, path.2…).'),
      })
      .nullable()
      .prefault(null)
      .describe('Also log to a rotating file, as JSON lines; null for none.'),
  })
  .describe('Where and how the daemon logs.');
/** One folder name at the root of the stick: no path, no leading dot, nothing a FAT stick refuses. */
const folderName = z
  .string()
  .regex(/^[A-Za-z0-9_][A-Za-z0-9._-]{0,63}$/, 'must be one folder name of letters, digits, ".", "_" and "-" (at most 64, not starting with a dot)');

const report = z
  .strictObject({
    enabled: z
      .boolean()
      .default(true)
      .describe('Write a report (a text and a JSON file) to the stick after each stick handled, and after the health check if the stick is still in. The stick is made writable only for that moment.'),
    folder: folderName.default('usb-updater-reports').describe('Folder at the root of the stick that receives the reports.'),
  })
  .describe('The report written back to the stick for the technician.');

/** Diagnostics on request (issue 17): off unless the device maker turns them on. */
const diagnostics = z
  .strictObject({
    enabled: z
      .boolean()
      .default(false)
      .describe('Write a diagnostics bundle (status, ledger, journal, recent log lines, versions, free space) to a stick that carries a request signed with one of `keys`, naming this device type or id and not expired. Off: a request is refused (DIAGNOSTICS_DISABLED in the report).'),
    keys: z
      .array(filePath)
      .default([])
      .describe('Public keys (PEM; RSA >= 2048 bits, EC P-256 or Ed25519) that may sign a request; empty: the artifact keys (`signature.keys`). Relative paths are taken from the config file\'s folder.'),
    max_size: size
      .pipe(z.number().min(64 * 1024, 'must be at least 64KiB').max(256 * 1024 * 1024, 'must be at most 256MiB'))
      .prefault('1MiB')
      .describe('Largest bundle written, all files together; each part is cut to fit (the newest log lines are kept).'),
    log_lines: z.number().int().min(0).max(100_000).default(1000).describe("How many of the service's newest log lines the bundle holds."),
    max_validity: duration
      .prefault('168h')
      .describe('Longest a request may be valid (from `issued` to `expires`); a request signed for longer is refused.'),
  })
  .describe('Diagnostics on request: a bundle written to the stick for the technician to carry back.');

export const configSchema = z
  .strictObject({
    version: z.literal(1).default(1).describe('Format of this file. Only 1 exists.'),
    device: device.prefault({}),
    signature: signature.prefault({}),
    artifacts: artifacts.prefault({}),
    versioning: versioning.prefault({}),
    selection: selection.prefault({}),
    search: search.prefault({}),
    media: media.prefault({}),
    state: state.prefault({}),
    reboot: reboot.prefault({}),
    client: client.prefault({}),
    health: health.prefault({}),
    feedback: feedback.prefault({}),
    logging: logging.prefault({}),
    report: report.prefault({}),
    diagnostics: diagnostics.prefault({}),
  })
  .superRefine((config, ctx) => {
    if (config.signature.required && config.signature.keys.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['signature', 'keys'], message: 'signature.required is true, so at least one key is needed (or set required: false)' });
    }
  })
  .describe('usb-updater configuration');

/** The config after validation: every default filled in, sizes in bytes, durations in milliseconds. */
export type Config = z.output<typeof configSchema>;

/** One health check after validation (durations in milliseconds). */
export type HealthCheck = z.output<typeof healthCheck>;

/** The JSON Schema (draft 2020-12) of the file as written, for editors. */
export function configJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' });
}
