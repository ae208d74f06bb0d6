import type { SyncSummary } from '../../../core/sync/sync-view';
import { type Html, html } from '../html';
import { syncRow } from './sync-parts';

/** Every Sync of the cluster, like `tidemark get -A`; rows are replaced live as the watch sees changes. */
export function syncsPage(syncs: readonly SyncSummary[], cluster: string, now: Date): Html {
  const stalled = syncs.filter((s) => s.stalled).length;
  const ready = syncs.filter((s) => s.ready === 'True').length;
  return html`<p>${syncs.length} Sync${syncs.length === 1 ? '' : 's'} in cluster <strong>${cluster}</strong>: ${ready} ready, ${stalled} stalled. This list updates itself.</p>
<table>
<caption>Syncs, by namespace and name</caption>
<thead><tr><th scope="col">Sync</th><th scope="col">Revision</th><th scope="col">Status</th><th scope="col">Health</th><th scope="col">Last sync</th><th scope="col">Drift</th></tr></thead>
<tbody id="sync-rows">
${syncs.map((s) => syncRow(s, now))}
</tbody>
</table>
${syncs.length === 0 ? html`<p class="notice">No Syncs that your kubeconfig may list. Create one, or run the agent (<code>tidemark install</code>).</p>` : ''}`;
}
