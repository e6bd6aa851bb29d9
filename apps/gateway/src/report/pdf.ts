// The service report as PDF: Debian's Chromium prints the HTML headless (`--print-to-pdf`); where no
// Chromium is installed the caller says so and keeps the HTML.
import { execFile } from 'node:child_process';
import { accessSync, constants, existsSync, mkdtempSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { KirchhoffError } from '@kirchhoff/core';

const NAMES = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'];

/** The Chromium to print with: `$KIRCHHOFF_CHROMIUM`, else the first of the usual names on PATH; null when none. */
export function findChromium(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.KIRCHHOFF_CHROMIUM) return existsSync(env.KIRCHHOFF_CHROMIUM) ? env.KIRCHHOFF_CHROMIUM : null;
  for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean)) {
    for (const name of NAMES) {
      const file = join(dir, name);
      try {
        accessSync(file, constants.X_OK);
        return file;
      } catch {
        // not here
      }
    }
  }
  return null;
}

export const NO_CHROMIUM = 'no Chromium found to print the PDF (install the Debian package chromium, or set KIRCHHOFF_CHROMIUM to its path)';

/** Prints `htmlFile` to `pdfFile` with headless Chromium (a fresh profile, no network, no sandbox); a reader never sees half a PDF. */
export async function printPdf(htmlFile: string, pdfFile: string, chromium: string, timeoutMs = 60_000): Promise<void> {
  const profile = mkdtempSync(join(tmpdir(), 'kirchhoff-pdf-'));
  const part = `${pdfFile}.part`;
  const args = [
    '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync',
    `--user-data-dir=${profile}`, '--no-pdf-header-footer', `--print-to-pdf=${resolve(part)}`, pathToFileURL(resolve(htmlFile)).href,
  ];
  try {
    await new Promise<void>((done, fail) => {
      execFile(chromium, args, { timeout: timeoutMs, maxBuffer: 4 << 20 }, (error, _out, stderr) => {
        if (error) fail(new KirchhoffError('report.pdf', `${chromium} could not print ${pdfFile}: ${error.message.split('\n')[0]}${stderr ? ` (${String(stderr).trim().split('\n').slice(-1)[0]})` : ''}`));
        else done();
      });
    });
    if (!existsSync(part) || statSync(part).size === 0) throw new KirchhoffError('report.pdf', `${chromium} wrote no PDF to ${pdfFile}`);
    renameSync(part, pdfFile);
  } finally {
    rmSync(profile, { recursive: true, force: true });
    rmSync(part, { force: true });
  }
}
