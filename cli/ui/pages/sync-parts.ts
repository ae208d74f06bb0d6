import { commitUrl } from '../../../core/config/commit-url';
import { age, healthText, type SyncSummary, shortSha } from '../../../core/sync/sync-view';
import { type Html, html, safeHref } from '../html';

// Pieces of a Sync that several pages show the same way.

/** The element ids live updates replace: one row of the Syncs table, one summary on a Sync's page. */
export const rowId = (s: { namespace: string; name: string }) => `sync-row:${s.namespace}/${s.name}`;
export const summaryId = (s: { namespace: string; name: string }) => `sync-summary:${s.namespace}/${s.name}`;
export const syncHref = (s: { namespace: string; name: string }) =>
  `/syncs/${encodeURIComponent(s.namespace)}/${encodeURIComponent(s.name)}`;
export const timelineHref = (s: { namespace: string; name: string }, revision: string) =>
  `${syncHref(s)}/revisions/${encodeURIComponent(shaOf(revision))}`;

/** `main@sha1:abc…` (Flux's form) or a bare sha → the sha. */
export function shaOf(revision: string): string {
  return revision.split(/[@:]/).pop() ?? revision;
}

/** The revision as a short sha linked to its commit, and the commit's subject. */
export function revisionCell(s: Pick<SyncSummary, 'revision' | 'subject' | 'url' | 'attemptedRevision'>): Html {
  if (!s.revision) {
    return s.attemptedRevision
      ? html`<span class="muted">nothing applied yet; tried <code>${shortSha(s.attemptedRevision)}</code></span>`
      : html`<span class="muted">nothing applied yet</span>`;
  }
  const href = safeHref(commitUrl(s.url, shaOf(s.revision)) ?? '');
  const sha = html`<code>${shortSha(s.revision)}</code>`;
  return html`${href ? html`<a href="${href}" title="commit ${shaOf(s.revision)}">${sha}</a>` : sha} ${s.subject ?? ''}`;
}

/** Ready, Stalled or Suspended as a word in a badge (colour is only a second cue), with the reason. */
export function readiness(s: Pick<SyncSummary, 'ready' | 'stalled' | 'suspended' | 'reason' | 'message'>): Html {
  const [word, tone] = s.suspended
    ? ['Suspended', 'warn']
    : s.stalled
      ? ['Stalled', 'bad']
      : s.ready === 'True'
        ? ['Ready', 'ok']
        : s.ready === 'False'
          ? ['Not ready', 'bad']
          : ['Unknown', 'warn'];
  return html`<span class="badge ${tone}">${word}</span> <span class="reason">${s.reason}</span>`;
}

export function healthCell(s: Pick<SyncSummary, 'health'>): Html {
  if (!s.health) return html`<span class="muted">-</span>`;
  const names = s.health.notReady.length > 0 ? html` <span class="muted">(${s.health.notReady.join(', ')})</span>` : '';
  return html`${healthText(s)}${names}`;
}

export function when(iso: string | undefined, now: Date): Html {
  return iso
    ? html`<time datetime="${iso}" title="${iso}">${age(iso, now)} ago</time>`
    : html`<span class="muted">never</span>`;
}

export function driftCell(s: Pick<SyncSummary, 'drift'>): Html {
  if (s.drift === undefined) return html`<span class="muted">not reported</span>`;
  return s.drift === 0 ? html`0` : html`<strong>${s.drift}</strong> object${s.drift === 1 ? '' : 's'}`;
}

/** One row of the Syncs table: also what a live update sends when the Sync changes. */
export function syncRow(s: SyncSummary, now: Date): Html {
  return html`<tr id="${rowId(s)}">
<th scope="row"><a href="${syncHref(s)}">${s.name}</a><div class="ns">${s.namespace}</div></th>
<td>${revisionCell(s)}</td>
<td>${readiness(s)}${s.ready !== 'True' || s.stalled ? html`<div class="muted">${s.message}</div>` : ''}</td>
<td>${healthCell(s)}</td>
<td>${when(s.lastSyncTime, now)}</td>
<td>${driftCell(s)}</td>
</tr>`;
}
