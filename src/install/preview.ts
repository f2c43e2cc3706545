// What an install would select among sticks or files, without installing: the search and the
// decision of the update pipeline, on headers only (`usb-updater check`).

import { collectCandidates } from '../media/index.js';
import { decide, type Decision, type DeviceFacts, type LoadedConfig } from '../policy/index.js';
import { realStickFs } from '../system/media/stick-fs.js';
import { searchOptions } from './search-options.js';

export async function previewUpdate(paths: readonly string[], loaded: LoadedConfig, device: DeviceFacts): Promise<Decision> {
  const { candidates, files } = await collectCandidates(paths, realStickFs, searchOptions(loaded));
  // Only headers are read; nothing is installed, so every file is closed at once.
  await Promise.allSettled([...files.values()].map((f) => f.artifact.close()));
  // The paths are folders and files, not a stick the media layer identified: no media facts.
  return decide(candidates, device, loaded.config, null);
}
