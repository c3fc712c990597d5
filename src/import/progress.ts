import type { ImportSummary } from './summary.js';

/** Progress on stderr: redrawn in place on a terminal, a line every ~10% otherwise (CI logs). */
export interface ImportReporter {
  start(totalFiles: number): void;
  progress(summary: ImportSummary): void;
  fileFailed(file: string, message: string): void;
  finish(summary: ImportSummary): void;
}

export const silentReporter: ImportReporter = { start() {}, progress() {}, fileFailed() {}, finish() {} };

export function rate(resources: number, ms: number): number {
  return ms > 0 ? Math.round((resources / ms) * 1000) : 0;
}

export function summaryLine(s: ImportSummary): string {
  const seconds = (s.elapsedMs / 1000).toFixed(1);
  return (
    `${s.filesDone} files, ${s.resources} resources in ${seconds} s (${rate(s.resources, s.elapsedMs)} resources/s): ` +
    `${s.created} created, ${s.updated} updated, ${s.unchanged} unchanged, ${s.matchedExisting} matched existing, ` +
    `${s.deleted} deleted, ${s.failedFiles} file(s) failed`
  );
}

export function consoleReporter(stream: NodeJS.WriteStream = process.stderr): ImportReporter {
  let total = 0;
  let lastDecile = -1;
  const bar = (done: number) => {
    const width = 30;
    const filled = total > 0 ? Math.round((done / total) * width) : width;
    return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
  };
  return {
    start(totalFiles) {
      total = totalFiles;
      stream.write(`Importing ${totalFiles} file(s)\n`);
    },
    progress(s) {
      const text = `${bar(s.filesDone)} ${s.filesDone}/${total} files, ${s.resources} resources, ${rate(s.resources, s.elapsedMs)}/s`;
      if (stream.isTTY) {
        stream.write(`\r${text}`);
        return;
      }
      const decile = total > 0 ? Math.floor((s.filesDone / total) * 10) : 10;
      if (decile > lastDecile) {
        lastDecile = decile;
        stream.write(`${text}\n`);
      }
    },
    fileFailed(file, message) {
      stream.write(`${stream.isTTY ? '\n' : ''}FAILED ${file}: ${message}\n`);
    },
    finish(s) {
      stream.write(`${stream.isTTY ? '\n' : ''}${summaryLine(s)}\n`);
    },
  };
}
