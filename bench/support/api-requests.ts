import type { ClusterClient } from '../../adapters/kubernetes/cluster-client';

/**
 * What clients asked the API server, from its own counters (`apiserver_request_total` on `/metrics`): by verb, with
 * writes that persisted apart from dry-runs. WATCH is left out (a long-running request counted once when it starts),
 * and so are `leases` and `nodes`: with leader election off neither Tidemark nor Flux touches them, and the local
 * node's kwok heartbeat would otherwise count as theirs.
 */
export interface RequestCounts {
  /** Requests by verb (GET, LIST, PATCH, APPLY, …), dry-runs included. */
  byVerb: Record<string, number>;
  /** POST, PUT, PATCH, APPLY and DELETE that persisted (not dry-run, answered 2xx). */
  writes: number;
  /**
   * The persisted writes to the objects a tool manages: `writes` less the tools' bookkeeping (Events, any `status`
   * subresource, and the tools' own resources: Syncs, GitRepositories, Kustomizations, Receivers).
   */
  objectWrites: number;
  /** The same verbs sent with `dryRun=All`. */
  dryRunWrites: number;
  total: number;
}

// The metric's verb label: POST, PUT, PATCH, APPLY (server-side apply), DELETE and DELETECOLLECTION write.
const WRITE_VERBS = new Set(['POST', 'PUT', 'PATCH', 'APPLY', 'DELETE', 'DELETECOLLECTION']);
// Reviews are authentication and authorisation checks (the controller manager's delegated auth), not stored objects.
const IGNORED_RESOURCES = new Set([
  'leases',
  'nodes',
  'tokenreviews',
  'subjectaccessreviews',
  'selfsubjectaccessreviews',
  'localsubjectaccessreviews',
  'selfsubjectrulesreviews',
]);
const BOOKKEEPING_RESOURCES = new Set(['events', 'syncs', 'gitrepositories', 'kustomizations', 'receivers']);

/** One scrape of `apiserver_request_total`, keyed by `verb|dry_run|bookkeeping|refused`. */
export type RequestTotals = Map<string, number>;

export function parseRequestTotals(metrics: string): RequestTotals {
  const totals: RequestTotals = new Map();
  for (const line of metrics.split('\n')) {
    if (!line.startsWith('apiserver_request_total{')) continue;
    const verb = /verb="([A-Z]+)"/.exec(line)?.[1] ?? '';
    const resource = /[{,]resource="([^"]*)"/.exec(line)?.[1] ?? '';
    if (verb === 'WATCH' || verb === 'WATCHLIST' || IGNORED_RESOURCES.has(resource)) continue;
    const dryRun = /dry_run="([^"]*)"/.exec(line)?.[1] ?? '';
    const subresource = /subresource="([^"]*)"/.exec(line)?.[1] ?? '';
    const bookkeeping = BOOKKEEPING_RESOURCES.has(resource) || subresource === 'status' ? 'bookkeeping' : '';
    // A refused write (403 in a terminating namespace, 409, 422) persisted nothing.
    const refused = /code="2\d\d"/.test(line) ? '' : 'refused';
    const key = `${verb}|${dryRun}|${bookkeeping}|${refused}`;
    totals.set(key, (totals.get(key) ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1)));
  }
  return totals;
}

export async function scrapeRequestTotals(cluster: ClusterClient): Promise<RequestTotals> {
  return parseRequestTotals(await cluster.getText('/metrics'));
}

/** The requests between two scrapes. */
export function requestsBetween(before: RequestTotals, after: RequestTotals): RequestCounts {
  const counts: RequestCounts = { byVerb: {}, writes: 0, objectWrites: 0, dryRunWrites: 0, total: 0 };
  for (const [key, value] of after) {
    const delta = value - (before.get(key) ?? 0);
    if (delta <= 0) continue;
    const [verb = '', dryRun = '', bookkeeping = '', refused = ''] = key.split('|');
    counts.byVerb[verb] = (counts.byVerb[verb] ?? 0) + delta;
    counts.total += delta;
    if (WRITE_VERBS.has(verb) && refused === '') {
      if (dryRun !== '') counts.dryRunWrites += delta;
      else {
        counts.writes += delta;
        if (bookkeeping === '') counts.objectWrites += delta;
      }
    }
  }
  return counts;
}

/**
 * `counts` less what others sent meanwhile: the harness's own requests (known exactly, by verb) and the control
 * plane's background (a rate per verb measured while the tools were paused, times the window's length). Never below 0.
 * `objectWrites` is left as it is: the harness writes only the tools' own resources, which it does not include.
 */
export function lessOthers(
  counts: RequestCounts,
  own: Record<string, number>,
  background?: { perSecond: Record<string, number>; seconds: number },
): RequestCounts {
  const byVerb: Record<string, number> = {};
  let total = 0;
  let writes = counts.writes;
  for (const [verb, n] of Object.entries(counts.byVerb)) {
    const others = (own[verb] ?? 0) + Math.round((background?.perSecond[verb] ?? 0) * (background?.seconds ?? 0));
    const left = Math.max(0, n - others);
    if (WRITE_VERBS.has(verb)) writes -= Math.min(n - left, writes);
    if (left > 0) byVerb[verb] = left;
    total += left;
  }
  return {
    byVerb,
    writes: Math.max(0, writes),
    objectWrites: counts.objectWrites,
    dryRunWrites: counts.dryRunWrites,
    total,
  };
}

/** Per-second rates by verb, from the requests of a quiet window. */
export function ratePerSecond(counts: RequestCounts, seconds: number): Record<string, number> {
  return Object.fromEntries(Object.entries(counts.byVerb).map(([verb, n]) => [verb, n / seconds]));
}

/** "412 (LIST 40, PATCH 12, GET 360)": the total, then the verbs, largest first. */
export function describeRequests(counts: RequestCounts): string {
  const verbs = Object.entries(counts.byVerb)
    .sort((a, b) => b[1] - a[1])
    .map(([verb, n]) => `${verb} ${n}`)
    .join(', ');
  return `${counts.total}${verbs ? ` (${verbs})` : ''}`;
}
