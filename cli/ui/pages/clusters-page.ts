import type { SyncSummary } from '../../../core/sync/sync-view';
import { type Html, html } from '../html';

export interface ClusterView {
  name: string;
  server: string;
  syncs: readonly SyncSummary[];
  driftFindings?: number;
}

/** The clusters this server reads (the kubeconfig's current context) with a count per state of their Syncs. */
export function clustersPage(clusters: readonly ClusterView[]): Html {
  return html`<table>
<caption>Clusters</caption>
<thead><tr><th scope="col">Cluster</th><th scope="col">API server</th><th scope="col">Syncs</th><th scope="col">Ready</th><th scope="col">Stalled</th><th scope="col">Not ready</th><th scope="col">Drift findings</th></tr></thead>
<tbody>${clusters.map((c) => {
    const ready = c.syncs.filter((s) => s.ready === 'True').length;
    const stalled = c.syncs.filter((s) => s.stalled).length;
    return html`<tr><th scope="row"><a href="/syncs">${c.name}</a></th><td><code>${c.server}</code></td><td>${c.syncs.length}</td><td>${ready}</td><td>${stalled}</td><td>${c.syncs.length - ready}</td><td>${c.driftFindings === undefined ? html`<span class="muted">no scan recorded</span>` : html`<a href="/drift">${c.driftFindings}</a>`}</td></tr>`;
  })}</tbody>
</table>`;
}
