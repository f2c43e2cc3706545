// The CLI's terminal escaping lives with the logger's, in src/log/printable.ts; re-exported here
// for the commands that import it from their own folder.
export { printable } from '../log/printable.js';
