import type { DriftFinding } from '../drift/drift-report';
import { type Alert, alertTarget } from './alert';
import { driftSummary, fieldLine, findingTitle, shortRevision } from './describe-drift';

/** A Slack incoming-webhook payload: Block Kit blocks plus the plain `text` notifications and old clients show. */
export interface SlackMessage {
  text: string;
  blocks: SlackBlock[];
}

export type SlackBlock =
  | { type: 'header'; text: { type: 'plain_text'; text: string; emoji: true } }
  | { type: 'section'; text: { type: 'mrkdwn'; text: string } }
  | { type: 'context'; elements: { type: 'mrkdwn'; text: string }[] };

/** Slack's limits: 50 blocks per message, 150 characters per header, 3000 per section text. */
const maxBlocks = 50;
const maxHeader = 150;
const maxSection = 3000;
/** Fields listed per object before "and N more fields"; a section is for reading, not for a full dump. */
const maxFieldsPerObject = 10;

/**
 * The Slack message for an alert: a header, one section per drifted object with its fields, then a context line with
 * the cluster, the revision and a link. A drift with more objects than 50 blocks hold ends in "…and N more".
 *
 * @example
 * renderSlackMessage({ kind: 'scan-failing', cluster: 'prod', message: 'Unauthorized', since: '2026-11-25T10:00:00Z' })
 */
export function renderSlackMessage(alert: Alert, link?: string): SlackMessage {
  const header = headerFor(alert);
  const blocks: SlackBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: cut(header, maxHeader), emoji: true } },
  ];
  const context = contextFor(alert, link);
  let text = header;
  if (alert.kind === 'appeared' || alert.kind === 'changed' || alert.kind === 'renotify') {
    const findings = alert.report.findings;
    // Header and context take two blocks; keep one for "and N more" when the findings do not all fit.
    const room = maxBlocks - 2;
    const shown = findings.length <= room ? findings : findings.slice(0, room - 1);
    for (const f of shown) blocks.push(section(sectionText(f)));
    if (shown.length < findings.length) {
      blocks.push(section(`…and ${findings.length - shown.length} more`));
    }
    text = `${header}\n${findings
      .slice(0, 5)
      .map((f) => `• ${findingTitle(f)}`)
      .join('\n')}${findings.length > 5 ? `\n…and ${findings.length - 5} more` : ''}`;
  } else if (alert.kind === 'render-failing') {
    const where = alert.where ? ` in \`${escapeMrkdwn(alert.where)}\`` : '';
    blocks.push(
      section(
        `Nothing was committed; the last good rendered commit stays. The render failed${where}:\n\`\`\`${cut(escapeMrkdwn(alert.message), 2800)}\`\`\``,
      ),
    );
    text = `${header}: ${alert.where ? `${alert.where}: ` : ''}${alert.message}`;
  } else if (alert.kind === 'scan-failing') {
    blocks.push(
      section(`The drift scan cannot read ${alertTarget(alert.cluster).reads}: \`${cut(alert.message, 2900)}\``),
    );
    text = `${header}: ${alert.message}`;
  }
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: context }] });
  return { text, blocks };
}

function headerFor(alert: Alert): string {
  switch (alert.kind) {
    case 'appeared':
      return `Drift in ${alert.cluster}: ${driftSummary(alert.report.findings)}`;
    case 'changed':
      return `Drift changed in ${alert.cluster}: ${driftSummary(alert.report.findings)}`;
    case 'renotify':
      return `Still drifting in ${alert.cluster}: ${driftSummary(alert.report.findings)}`;
    case 'resolved':
      return `Resolved in ${alert.cluster}: back in sync with Git`;
    case 'scan-failing':
      return `Drift scan failing for ${alert.cluster}`;
    case 'recovered':
      return `Drift scan recovered for ${alert.cluster}`;
    case 'render-failing':
      return `Render failing for target ${alert.target}`;
    case 'render-recovered':
      return `Render recovered for target ${alert.target}`;
  }
}

function contextFor(alert: Alert, link: string | undefined): string {
  const target = alertTarget(alert.cluster);
  const parts =
    alert.kind === 'render-failing' || alert.kind === 'render-recovered'
      ? [`Render target *${alert.target}*`, `dry commit \`${shortRevision(alert.revision)}\``]
      : [`${target.noun} *${target.name}*`];
  if ('report' in alert && alert.report.revision) parts.push(`revision \`${shortRevision(alert.report.revision)}\``);
  if (alert.kind === 'scan-failing' || alert.kind === 'render-failing') parts.push(`failing since ${alert.since}`);
  if (alert.kind === 'recovered' || alert.kind === 'render-recovered')
    parts.push(`was failing since ${alert.failingSince}`);
  if (link) parts.push(`<${link}|details>`);
  return parts.join(' · ');
}

function sectionText(f: DriftFinding): string {
  const title = `*${escapeMrkdwn(findingTitle(f))}*`;
  if (f.kind !== 'modified') return title;
  const lines = f.fields.slice(0, maxFieldsPerObject).map((field) => `• \`${escapeMrkdwn(fieldLine(field))}\``);
  if (f.fields.length > maxFieldsPerObject) lines.push(`• …and ${f.fields.length - maxFieldsPerObject} more fields`);
  return cut([title, ...lines].join('\n'), maxSection);
}

function section(text: string): SlackBlock {
  return { type: 'section', text: { type: 'mrkdwn', text } };
}

/** Slack mrkdwn treats `&`, `<` and `>` as control characters; everything user-controlled is escaped. */
export function escapeMrkdwn(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

/** `text`, or its first `max - 1` characters and an ellipsis. */
export function cut(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
