// esbuild's `inject` for the main file, which is CommonJS (package.mjs): import.meta.url, which
// CommonJS has not, from __filename. The USB monitor finds its child's file beside it with it.
/* global __filename */
import { pathToFileURL } from 'node:url';

export const importMetaUrl = pathToFileURL(__filename).href;
