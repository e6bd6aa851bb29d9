// The service report (issue 15 point 6, docs/health.md): gathered from a data logger, rendered as one
// self-contained HTML page, printed to PDF where Chromium is installed.
import { SOFTWARE_VERSION } from '../version';
import type { HistoryReader } from '@kirchhoff/history';
import { gatherReport, type GatherOptions, type ServiceReportData } from './data';
import { reportHtml } from './html';

export { gatherReport, sohRanking, thin, type ServiceReportData } from './data';
export { reportHtml } from './html';
export { findChromium, NO_CHROMIUM, printPdf } from './pdf';

/** The report of [fromMs, toMs) from `reader` as HTML, with what it was made of. */
export async function serviceReport(reader: HistoryReader, options: GatherOptions): Promise<{ html: string; data: ServiceReportData }> {
  const data = await gatherReport(reader, options);
  return { html: reportHtml(data, `kirchhoff ${SOFTWARE_VERSION}`), data };
}
