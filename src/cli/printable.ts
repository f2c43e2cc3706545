// The CLI's terminal escaping lives with the logger's, in src/system/printable.ts; re-exported here
// for the commands that import it from their own folder.
export { printable } from '../system/index.js';
