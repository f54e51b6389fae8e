import { writeRunReport } from '@research-ts/report';

/**
 * Rewrites `<runDirectory>/report.html` (as `research-ts report` does) during training: at each
 * checkpoint and at the end. The report is a view of the run, not part of it: a failure to write it is
 * logged and the run goes on. Resolves to whether the report was written.
 */
export async function refreshRunReport(runDirectory: string, log: (line: string) => void): Promise<boolean> {
  try {
    await writeRunReport({ runDirectory });
    return true;
  } catch (error) {
    log(
      `could not write ${runDirectory}/report.html (training goes on): ${error instanceof Error ? error.message : String(error)}`,
    );
    return false;
  }
}
