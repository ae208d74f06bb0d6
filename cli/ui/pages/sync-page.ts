import type { Condition } from '../../../core/sync/conditions';
import type { SyncStatus } from '../../../core/sync/sync-status';
import type { SyncSummary } from '../../../core/sync/sync-view';
import { shortSha } from '../../../core/sync/sync-view';
import type { HealthNode } from '../../../engine/sync-view/health-tree';
import { type Html, html } from '../html';
import type { DeploymentHistory } from '../ui-state';
import { driftCell, healthCell, readiness, revisionCell, summaryId, syncHref, timelineHref, when } from './sync-parts';

export interface SyncPageData {
  summary: SyncSummary;
  status: SyncStatus;
  objects: HealthNode[];
  events: { time: string; type: string; reason: string; message: string }[];
  /** The notifier's record of the Sync; undefined without a State table or before its first event. */
  history: DeploymentHistory | undefined;
  /** Why there is no history, when there is none. */
  historyNote?: string;
  /** What a SelfSubjectAccessReview said about patching this Sync. */
  reconcile: { allowed: boolean; reason: string };
  now: Date;
}

/** The summary block, replaced live when the Sync changes. */
export function syncSummary(s: SyncSummary, now: Date): Html {
  return html`<section id="${summaryId(s)}" aria-labelledby="summary-heading">
<h2 id="summary-heading">Status</h2>
<dl class="facts">
<dt>Status</dt><dd>${readiness(s)}: ${s.message}</dd>
${s.stalled ? html`<dt>Stalled</dt><dd>Retrying will not help until Git changes.</dd>` : ''}
<dt>Revision</dt><dd>${revisionCell(s)}${s.revision ? html` · <a href="${timelineHref(s, s.revision)}">timeline of this revision</a>` : ''}</dd>
${s.attemptedRevision && s.attemptedRevision !== s.revision ? html`<dt>Last attempted</dt><dd><code>${shortSha(s.attemptedRevision)}</code> · <a href="${timelineHref(s, s.attemptedRevision)}">timeline</a></dd>` : ''}
<dt>Source</dt><dd><code>${s.url}</code> branch <code>${s.branch}</code> path <code>${s.path}</code></dd>
<dt>Health</dt><dd>${healthCell(s)}</dd>
<dt>Last sync</dt><dd>${when(s.lastSyncTime, now)}</dd>
<dt>Drift</dt><dd>${driftCell(s)}</dd>
<dt>Inventory</dt><dd>${s.inventory} object${s.inventory === 1 ? '' : 's'}</dd>
</dl>
</section>`;
}

export function syncPage(d: SyncPageData): Html {
  const s = d.summary;
  const revision = s.revision;
  return html`<p><a href="/syncs">All Syncs</a> › <span class="muted">${s.namespace}</span></p>
${syncSummary(s, d.now)}
<section aria-labelledby="reconcile-heading">
<h2 id="reconcile-heading">Reconcile</h2>
${
  d.reconcile.allowed
    ? html`<p><a href="${syncHref(s)}/reconcile">Reconcile now…</a> <span class="muted">(asks you to confirm first)</span></p>`
    : html`<p class="muted">Your kubeconfig may not patch this Sync, so it cannot be reconciled from here: ${d.reconcile.reason}</p>`
}
</section>
<section aria-labelledby="conditions-heading">
<h2 id="conditions-heading">Conditions</h2>
${conditionsTable(d.status.conditions ?? [], d.now)}
</section>
<section aria-labelledby="objects-heading">
<h2 id="objects-heading">Objects</h2>
${
  d.objects.length > 0
    ? html`<ul class="tree" aria-label="Objects of the Sync and what their controllers made">${d.objects.map((n) => treeItem(n, revision))}</ul>`
    : html`<p class="muted">No objects applied.</p>`
}
</section>
<section aria-labelledby="events-heading">
<h2 id="events-heading">Latest events</h2>
${deploymentEvents(d)}
${kubernetesEvents(d.events, d.now)}
</section>
<section aria-labelledby="attempts-heading">
<h2 id="attempts-heading">Recent reconciles</h2>
${attempts(d)}
</section>
<section aria-labelledby="inventory-heading">
<h2 id="inventory-heading">Inventory</h2>
<details><summary>${s.inventory} object${s.inventory === 1 ? '' : 's'} the agent owns (it prunes only these)</summary>
<ul>${(d.status.inventory?.entries ?? []).map((e) => html`<li><code>${e.id}</code> <span class="muted">${e.v}</span></li>`)}</ul>
</details>
</section>`;
}

function conditionsTable(conditions: readonly Condition[], now: Date): Html {
  if (conditions.length === 0) return html`<p class="muted">None yet: the agent has not reconciled this Sync.</p>`;
  return html`<table><caption>Conditions the agent last wrote</caption>
<thead><tr><th scope="col">Type</th><th scope="col">Status</th><th scope="col">Reason</th><th scope="col">Message</th><th scope="col">Since</th></tr></thead>
<tbody>${conditions.map(
    (c) =>
      html`<tr><th scope="row">${c.type}</th><td>${c.status}</td><td>${c.reason}</td><td>${c.message}</td><td>${when(c.lastTransitionTime, now)}</td></tr>`,
  )}</tbody></table>`;
}

function treeItem(node: HealthNode, revision: string | undefined, depth = 0): Html {
  const tone = node.status === 'Current' ? 'ok' : node.status === 'InProgress' ? 'warn' : 'bad';
  const [kind, ...rest] = node.object.split('/');
  return html`<li><span class="mono">${kind}</span> <strong>${rest.join('/')}</strong> <span class="badge ${tone}">${node.status}</span>${node.message ? html` <span class="muted">${node.message}</span>` : ''}${depth === 0 && revision ? html` <span class="muted">applied at <code>${shortSha(revision)}</code></span>` : ''}${
    node.children.length > 0 ? html`<ul>${node.children.map((c) => treeItem(c, revision, depth + 1))}</ul>` : ''
  }</li>`;
}

function deploymentEvents(d: SyncPageData): Html {
  const history = d.history?.state.history ?? [];
  if (history.length === 0) {
    return html`<p class="muted">No deployment events: ${d.historyNote ?? 'the notifier has recorded none for this Sync yet'}.</p>`;
  }
  return html`<table><caption>Deployment events (the notifier's record, newest first)</caption>
<thead><tr><th scope="col">When</th><th scope="col">Event</th><th scope="col">Revision</th><th scope="col">Reason</th><th scope="col">Message</th></tr></thead>
<tbody>${history.map(
    (t) =>
      html`<tr><td>${when(t.at, d.now)}</td><td>${t.kind}${t.announced ? '' : html` <span class="muted">(not sent)</span>`}</td><td>${t.revision ? html`<a href="${timelineHref(d.summary, t.revision)}"><code>${shortSha(t.revision)}</code></a>` : '-'}</td><td>${t.reason}</td><td>${t.message}</td></tr>`,
  )}</tbody></table>`;
}

function kubernetesEvents(events: SyncPageData['events'], now: Date): Html {
  if (events.length === 0) return html`<p class="muted">No Kubernetes Events on the Sync.</p>`;
  return html`<table><caption>Kubernetes Events on the Sync, newest first</caption>
<thead><tr><th scope="col">When</th><th scope="col">Type</th><th scope="col">Reason</th><th scope="col">Message</th></tr></thead>
<tbody>${events.map(
    (e) => html`<tr><td>${when(e.time, now)}</td><td>${e.type}</td><td>${e.reason}</td><td>${e.message}</td></tr>`,
  )}</tbody></table>`;
}

function attempts(d: SyncPageData): Html {
  const list = d.status.history ?? [];
  if (list.length === 0) return html`<p class="muted">None recorded.</p>`;
  return html`<table><caption>The agent's last reconciles of this Sync</caption>
<thead><tr><th scope="col">When</th><th scope="col">Revision</th><th scope="col">Outcome</th><th scope="col">Message</th></tr></thead>
<tbody>${list.map(
    (a) =>
      html`<tr><td>${when(a.time, d.now)}</td><td>${a.revision ? html`<a href="${timelineHref(d.summary, a.revision)}"><code>${shortSha(a.revision)}</code></a>` : '-'}</td><td>${a.outcome}</td><td>${a.message}</td></tr>`,
  )}</tbody></table>`;
}

/** The confirmation step before the one write. */
export function confirmReconcilePage(s: SyncSummary, token: string): Html {
  return html`<p>This sets the annotation <code>tidemark.dev/requested-at</code> on Sync <strong>${s.namespace}/${s.name}</strong>, as <code>tidemark reconcile ${s.name} -n ${s.namespace}</code> does. The agent then fetches, renders and applies it at once instead of at its next interval.</p>
<form method="post" action="${syncHref(s)}/reconcile">
<input type="hidden" name="token" value="${token}">
<p><button type="submit">Reconcile ${s.name} now</button> <a href="${syncHref(s)}">Cancel</a></p>
</form>`;
}
