// The phases a technician is shown, in the order an update goes through them, and what each one
// carries. The list is a public contract (hooks receive it in USB_UPDATER_PHASE): add, never rename.

export const PHASES = ['stick-seen', 'checking', 'installing', 'rebooting', 'verifying', 'success', 'nothing', 'failure'] as const;

export type Phase = (typeof PHASES)[number];

/** When the reboot that `rebooting` announces happens. */
export type RebootWhen = 'now' | 'on-removal' | 'manual';

export interface PhaseInfo {
  deploymentId?: string;
  artifact?: string;
  /** 0 to 99 while installing: 100 is never shown before the client says it is done. */
  percent?: number;
  /** With `rebooting`: now (or after reboot.delay), once the stick is removed, or by someone else. */
  reboot?: RebootWhen;
  error?: { code: string; message: string };
}
