// `usb-updater reports PATH...`: registration only; the work (src/cli/reports.ts) loads when it runs.

import { REPORTS_EXIT } from '../exit-codes.js';
import type { CliCommand } from '../command.js';

export const reportsCommand: CliCommand = {
  register(program, { io, run }) {
    program
      .command('reports')
      .description('Summarize the reports devices wrote to a stick: one row per device with its newest outcome, the software before and after and the reason, and the devices whose boot check is still pending. Run on a laptop; needs no config.')
      .argument('<path...>', "a stick's mount point (its usb-updater-reports folder is read), a copy of that folder, or one report .json file")
      .option('--json', 'print one JSON object {devices, pending, refused, read} instead of text; errors as {"error":{code,message}}', false)
      .option('--html <file>', 'also write the summary as one self-contained HTML page (no script, nothing fetched) to FILE')
      .addHelpText('after', `\nExit codes: ${REPORTS_EXIT.OK} every report read, ${REPORTS_EXIT.REFUSED} shown, but some files were refused (damaged, not a report), ${REPORTS_EXIT.USAGE} usage error, ${REPORTS_EXIT.IO} a PATH cannot be read or the page cannot be written, ${REPORTS_EXIT.NONE} no report found.`)
      .exitOverride()
      .action(async (paths: string[], options: { json: boolean; html?: string }) => {
        await run(async () => (await import('../reports.js')).reports(paths, options, io), options.json);
      });
  },
};
