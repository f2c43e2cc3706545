// What an install would select among sticks or files, without installing: the search and the
// decision of the update pipeline, on headers only (`usb-updater check`).

import { collectCandidates } from '../media/index.js';
import { decide, type Decision, type DeviceFacts, type LoadedConfig } from '../policy/index.js';
import { realStickFs } from '../system/media/stick-fs.js';
import { searchOptions } from './search-options.js';
import { settledLater } from './settled-later.js';

/**
 * `device` is read meanwhile (show-provides is a client process): the search starts at once beside
 * it, as in the pipeline, and the facts' error, if any, still comes first.
 */
export async function previewUpdate(paths: readonly string[], loaded: LoadedConfig, device: Promise<DeviceFacts>): Promise<Decision> {
  const collecting = settledLater(collectCandidates(paths, realStickFs, searchOptions(loaded)));
  // Only headers are read; nothing is installed, so every file is closed at once, whatever happens.
  const closeAll = async (): Promise<void> => {
    const opened = await collecting.catch(() => null);
    await Promise.allSettled([...(opened?.files.values() ?? [])].map((f) => f.artifact.close()));
  };
  let facts: DeviceFacts;
  try {
    facts = await device;
  } finally {
    await closeAll();
  }
  // The paths are folders and files, not a stick the media layer identified: no media facts.
  return decide((await collecting).candidates, facts, loaded.config, null);
}
