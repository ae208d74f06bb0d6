import type { Alert } from './alert';
import { alertTarget, topicKindOf } from './alert';
import { driftSummary, fieldLine, findingTitle, shortRevision } from './describe-drift';

/** What SNS accepts: a subject under 100 ASCII characters on one line, a message under 256 KB. */
export interface SnsMessage {
  subject: string;
  message: string;
  attributes: { cluster: string; kind: ReturnType<typeof topicKindOf> };
}

const maxSubject = 99;
/** SNS's limit is 262,144 bytes; keep room for the "and N more" line. */
const maxMessageBytes = 256 * 1024 - 1024;

/**
 * The SNS form of an alert: e-mail subscribers read the subject and the plain-text message; the `cluster` and `kind`
 * attributes let a subscription filter (only `scan-failing` to on-call, say).
 */
export function renderSnsMessage(alert: Alert, link?: string): SnsMessage {
  return {
    subject: subjectFor(alert),
    message: messageFor(alert, link),
    attributes: { cluster: alert.cluster, kind: topicKindOf(alert.kind) },
  };
}

function subjectFor(alert: Alert): string {
  const text = (() => {
    switch (alert.kind) {
      case 'appeared':
      case 'changed':
      case 'renotify':
        return `Tidemark: drift in ${alert.cluster}, ${driftSummary(alert.report.findings)}`;
      case 'resolved':
        return `Tidemark: drift in ${alert.cluster} resolved`;
      case 'scan-failing':
        return `Tidemark: drift scan failing for ${alert.cluster}`;
      case 'recovered':
        return `Tidemark: drift scan recovered for ${alert.cluster}`;
      case 'render-failing':
        return `Tidemark: render failing for target ${alert.target}`;
      case 'render-recovered':
        return `Tidemark: render recovered for target ${alert.target}`;
    }
  })();
  return snsSubject(text);
}

/** A subject SNS accepts: one line of ASCII, under 100 characters (cut with "..."). */
export function snsSubject(text: string): string {
  // SNS rejects control characters and line breaks in subjects, and e-mail clients mangle non-ASCII ones.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
  const oneLine = text.replace(/[\u0000-\u001f\u007f-\uffff]+/g, ' ').trim();
  return oneLine.length > maxSubject ? `${oneLine.slice(0, maxSubject - 3)}...` : oneLine;
}

function messageFor(alert: Alert, link: string | undefined): string {
  const lines: string[] = [];
  const target = alertTarget(alert.cluster);
  const where = `${target.noun} ${target.name}`;
  const footer: string[] = [];
  if ('report' in alert && alert.report.revision) footer.push(`Revision: ${shortRevision(alert.report.revision)}`);
  if (link) footer.push(`Details: ${link}`);
  switch (alert.kind) {
    case 'appeared':
    case 'changed':
    case 'renotify':
      lines.push(`${where}: ${driftSummary(alert.report.findings)} (scanned ${alert.report.scannedAt}).`, '');
      for (const f of alert.report.findings) {
        lines.push(findingTitle(f));
        if (f.kind === 'modified') for (const field of f.fields) lines.push(`  ${fieldLine(field, 400)}`);
      }
      break;
    case 'resolved':
      lines.push(`${where} is back in sync with Git (${alert.previousFindings} findings cleared).`);
      break;
    case 'scan-failing':
      lines.push(`The drift scan of ${alert.cluster} has been failing since ${alert.since}:`, alert.message);
      lines.push('', 'You get this once; a "recovered" message follows when a scan succeeds again.');
      break;
    case 'recovered':
      lines.push(`The drift scan of ${alert.cluster} works again (it was failing since ${alert.failingSince}).`);
      break;
    case 'render-failing':
      lines.push(
        `Render target ${alert.target} has failed since ${alert.since} (dry commit ${shortRevision(alert.revision)}), so nothing was committed and its last good rendered commit stays:`,
        ...(alert.where ? [`In ${alert.where}:`] : []),
        alert.message,
        '',
        'You get this once per failure; a "recovered" message follows when it renders again.',
      );
      break;
    case 'render-recovered':
      lines.push(
        `Render target ${alert.target} renders again at dry commit ${shortRevision(alert.revision)} (it was failing since ${alert.failingSince}).`,
      );
      break;
  }
  return fitBytes(lines, footer);
}

/** Keeps whole lines until the byte budget is reached, then says how many were left out. */
function fitBytes(lines: string[], footer: string[]): string {
  const tail = footer.length > 0 ? `\n\n${footer.join('\n')}` : '';
  let budget = maxMessageBytes - Buffer.byteLength(tail);
  const kept: string[] = [];
  for (const line of lines) {
    const size = Buffer.byteLength(line) + 1;
    if (size > budget) {
      kept.push(`…and ${lines.length - kept.length} more lines`);
      break;
    }
    kept.push(line);
    budget -= size;
  }
  return `${kept.join('\n')}${tail}`;
}
