import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { ClusterClient } from '../../adapters/kubernetes/cluster-client';
import { VersionedItems } from '../../adapters/state/versioned-items';
import { redactSecrets } from '../../core/notify/redact';
import { requestedAtAnnotation } from '../../core/sync/ownership';
import { syncApiVersion, syncKind } from '../../core/sync/sync';
import type { SyncStatus } from '../../core/sync/sync-status';
import { type SyncSummary, summarise } from '../../core/sync/sync-view';
import { revisionTimeline } from '../../core/timeline/revision-timeline';
import { readPromotionStandings } from '../../engine/promotion/standings';
import { healthTree } from '../../engine/sync-view/health-tree';
import { recentEvents } from '../../engine/sync-view/recent-events';
import { checkoutRepo } from '../commands/promotions';
import { type Html, html } from './html';
import { LiveSyncs, type SyncChange } from './live-syncs';
import { clustersPage } from './pages/clusters-page';
import { driftPage } from './pages/drift-page';
import { layout, type Section } from './pages/layout';
import { promotionsPage } from './pages/promotions-page';
import { confirmReconcilePage, syncPage, syncSummary } from './pages/sync-page';
import { rowId, shaOf, summaryId, syncHref, syncRow } from './pages/sync-parts';
import { syncsPage } from './pages/syncs-page';
import { timelinePage } from './pages/timeline-page';
import { pushTimes } from './push-times';
import { mayReconcile } from './reconcile-access';
import { checkHost, checkWrite } from './request-guard';
import { UiState } from './ui-state';

export interface UiOptions {
  kubeconfig?: string;
  /** 0: any free port. */
  port: number;
  /**
   * Tidemark's name of the cluster (`clusters[].name`): the key of its deployment history and drift findings.
   * Default: the kubeconfig's current context.
   */
  cluster?: string;
  /** The State table; without it the timeline, events and drift say where their data would come from. */
  table?: string;
  /** Only the Syncs of this namespace (default: every namespace the user may list). */
  namespace?: string;
  /** A checkout of the config repo: the Promotions page reads its `.tidemark/promotions.yaml` and images.yaml. */
  checkout?: string;
}

export interface RunningUi {
  url: string;
  port: number;
  close(): Promise<void>;
}

const assets: Record<string, { file: string; type: string }> = {
  '/assets/style.css': { file: 'style.css', type: 'text/css; charset=utf-8' },
  '/assets/live.js': { file: 'live.js', type: 'text/javascript; charset=utf-8' },
};

const securityHeaders = {
  // Our own script and styles only: a value that slipped through escaping still could not run a script.
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  // same-origin, not no-referrer: with no-referrer browsers send `Origin: null` on our own form's POST, which we refuse.
  'referrer-policy': 'same-origin',
  'cache-control': 'no-store',
};

/**
 * `tidemark ui`: a read-only web view of the cluster's Syncs, one revision's timeline, drift and promotions, served
 * on 127.0.0.1 only, with the user's kubeconfig and AWS credentials. Pages are rendered on the server from the Sync
 * watch's cache (no LIST per page view); the browser gets live updates as server-sent events. The one write is
 * "reconcile now", behind a confirmation page, a per-process token and a SelfSubjectAccessReview.
 */
export async function startUi(options: UiOptions): Promise<RunningUi> {
  const kubeconfig = new KubeConfig();
  if (options.kubeconfig) kubeconfig.loadFromFile(options.kubeconfig);
  else kubeconfig.loadFromDefault();
  const cluster = ClusterClient.fromKubeconfig(options.kubeconfig);
  const context = `${kubeconfig.getCurrentContext()} · ${kubeconfig.getCurrentCluster()?.server ?? ''}`;
  const clusterName = options.cluster ?? kubeconfig.getCurrentContext();
  const live = new LiveSyncs(kubeconfig, options.namespace);
  const state = new UiState(options.table);
  const token = randomBytes(32).toString('base64url');
  const streams = new Set<ServerResponse>();
  try {
    await live.start();
  } catch (error) {
    cluster.close();
    throw new Error(
      `cannot list Syncs with this kubeconfig (${(error as Error).message}). Is the Sync CRD installed (tidemark install) and may you list syncs.tidemark.dev?`,
      { cause: error },
    );
  }

  const summaries = (): SyncSummary[] => live.list().map(summarise).sort(byName);

  live.on('change', (change: SyncChange) => {
    const s = summarise(change.sync);
    const now = new Date();
    const fragments =
      change.type === 'delete'
        ? [
            { id: rowId(s), remove: true, announce: `Sync ${s.namespace}/${s.name} was deleted` },
            { id: summaryId(s), remove: true },
          ]
        : [
            { id: rowId(s), html: syncRow(s, now).text, parent: 'sync-rows', announce: announcement(s) },
            { id: summaryId(s), html: syncSummary(s, now).text },
          ];
    const text = fragments.map((f) => `event: fragment\ndata: ${JSON.stringify(f)}\n\n`).join('');
    for (const stream of streams) stream.write(text);
  });
  live.on('error', (error) => console.error(`tidemark ui: the Sync watch failed (${error.message}); watching again`));

  const send = (response: ServerResponse, status: number, body: Html | string, type = 'text/html; charset=utf-8') => {
    response.writeHead(status, { 'content-type': type, ...securityHeaders });
    response.end(String(body));
  };
  const page = (
    response: ServerResponse,
    status: number,
    title: string,
    body: Html,
    section?: Section,
    liveUpdates = false,
  ) => send(response, status, layout({ title, body, context, ...(section ? { section } : {}), live: liveUpdates }));

  const routes: {
    method: string;
    path: RegExp;
    handle: (req: IncomingMessage, res: ServerResponse, m: string[]) => Promise<void>;
  }[] = [
    {
      method: 'GET',
      path: /^\/$/,
      handle: async (_req, res) => {
        const findings = await state.driftFindings(clusterName).catch(() => undefined);
        page(
          res,
          200,
          'Clusters',
          clustersPage([
            {
              name: clusterName,
              server: kubeconfig.getCurrentCluster()?.server ?? '',
              syncs: summaries(),
              ...(findings ? { driftFindings: findings.findings.length + findings.omitted } : {}),
            },
          ]),
          'clusters',
        );
      },
    },
    {
      method: 'GET',
      path: /^\/syncs$/,
      handle: async (_req, res) =>
        page(res, 200, 'Syncs', syncsPage(summaries(), clusterName, new Date()), 'syncs', true),
    },
    {
      method: 'GET',
      path: /^\/syncs\/([^/]+)\/([^/]+)$/,
      handle: async (_req, res, [ns, name]) => {
        const sync = live.get(ns!, name!);
        if (!sync) return notFound(res, ns!, name!);
        const [objects, events, history, reconcile] = await Promise.all([
          healthTree(cluster, sync),
          recentEvents(cluster, sync),
          historyOf(ns!, name!),
          mayReconcile(cluster, { namespace: ns!, name: name! }),
        ]);
        page(
          res,
          200,
          `Sync ${name}`,
          syncPage({
            summary: summarise(sync),
            status: (sync.status ?? {}) as SyncStatus,
            objects,
            events,
            history: history.value,
            ...(history.note ? { historyNote: history.note } : {}),
            reconcile,
            now: new Date(),
          }),
          'syncs',
          true,
        );
      },
    },
    {
      method: 'GET',
      path: /^\/syncs\/([^/]+)\/([^/]+)\/reconcile$/,
      handle: async (_req, res, [ns, name]) => {
        const sync = live.get(ns!, name!);
        if (!sync) return notFound(res, ns!, name!);
        const access = await mayReconcile(cluster, { namespace: ns!, name: name! });
        if (!access.allowed)
          return page(res, 403, 'Not allowed', html`<p class="notice bad">${access.reason}</p>`, 'syncs');
        page(res, 200, `Reconcile ${name}?`, confirmReconcilePage(summarise(sync), token), 'syncs');
      },
    },
    {
      method: 'POST',
      path: /^\/syncs\/([^/]+)\/([^/]+)\/reconcile$/,
      handle: async (req, res, [ns, name]) => {
        const form = new URLSearchParams(await readBody(req, 4096));
        const verdict = checkWrite(req, port, token, form.get('token') ?? undefined);
        if (!verdict.ok) return page(res, verdict.status, 'Refused', html`<p class="notice bad">${verdict.reason}</p>`);
        const access = await mayReconcile(cluster, { namespace: ns!, name: name! });
        if (!access.allowed)
          return page(res, 403, 'Not allowed', html`<p class="notice bad">${access.reason}</p>`, 'syncs');
        const requestedAt = new Date().toISOString();
        await cluster.mergePatch(
          { apiVersion: syncApiVersion, kind: syncKind, namespace: ns!, name: name! },
          { metadata: { annotations: { [requestedAtAnnotation]: requestedAt } } },
        );
        res.writeHead(303, { location: syncHref({ namespace: ns!, name: name! }), ...securityHeaders });
        res.end();
      },
    },
    {
      method: 'GET',
      path: /^\/syncs\/([^/]+)\/([^/]+)\/revisions\/([0-9a-f]{7,64})$/,
      handle: async (_req, res, [ns, name, revision]) => {
        const sync = live.get(ns!, name!);
        if (!sync) return notFound(res, ns!, name!);
        const status = (sync.status ?? {}) as SyncStatus;
        const history = await historyOf(ns!, name!);
        const notes = history.note ? [history.note] : [];
        const deployed = history.value?.state.deployed;
        const pushes =
          deployed && shaOf(deployed.revision).startsWith(revision!)
            ? await pushTimes(
                deployed.images.map((i) => i.name),
                notes,
              )
            : [];
        const full = [history.value?.state.history ?? [], status.history ?? []]
          .flat()
          .map((x) => x.revision)
          .find((r) => r !== undefined && shaOf(r).startsWith(revision!));
        const t = revisionTimeline({
          revision: full ? shaOf(full) : revision!,
          pushes,
          attempts: status.history ?? [],
          transitions: history.value?.state.history ?? [],
          ...(history.value?.updatedAt ? { notifierUpdatedAt: new Date(history.value.updatedAt) } : {}),
        });
        page(
          res,
          200,
          `Timeline of ${revision!.slice(0, 7)}`,
          timelinePage(summarise(sync), full ? shaOf(full) : revision!, t, notes),
          'syncs',
        );
      },
    },
    {
      method: 'GET',
      path: /^\/drift$/,
      handle: async (_req, res) => {
        let note: string | undefined;
        const findings = options.table
          ? await state.driftFindings(clusterName).catch((error: Error) => {
              note = `The State table ${options.table} could not be read: ${error.message}`;
              return undefined;
            })
          : undefined;
        if (!options.table) note = noTableNote;
        page(
          res,
          200,
          'Drift',
          driftPage([{ name: clusterName, findings, ...(note ? { note } : {}) }], new Date()),
          'drift',
        );
      },
    },
    {
      method: 'GET',
      path: /^\/promotions$/,
      handle: async (_req, res) =>
        page(res, 200, 'Promotions', promotionsPage(await promotionsOf(options)), 'promotions'),
    },
    {
      method: 'GET',
      path: /^\/events$/,
      handle: async (req, res) => {
        res.writeHead(200, { 'content-type': 'text/event-stream', connection: 'keep-alive', ...securityHeaders });
        res.write(': live updates of Syncs\n\n');
        streams.add(res);
        const ping = setInterval(() => res.write(': ping\n\n'), 25_000);
        req.on('close', () => {
          clearInterval(ping);
          streams.delete(res);
        });
      },
    },
  ];

  async function historyOf(namespace: string, name: string) {
    if (!options.table) return { value: undefined, note: noTableNote };
    try {
      const value = await state.history(clusterName, { namespace, name });
      return value
        ? { value }
        : { value, note: `the notifier has recorded no event of this Sync in cluster ${clusterName}` };
    } catch (error) {
      return {
        value: undefined,
        note: `the State table ${options.table} could not be read: ${(error as Error).message}`,
      };
    }
  }

  const notFound = (res: ServerResponse, ns: string, name: string) =>
    page(
      res,
      404,
      'Not found',
      html`<p class="notice">There is no Sync ${ns}/${name} that your kubeconfig may see. <a href="/syncs">All Syncs</a></p>`,
    );

  const server = createServer(async (req, res) => {
    const host = checkHost(req, port);
    if (!host.ok) return send(res, host.status, host.reason, 'text/plain; charset=utf-8');
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    const asset = assets[url.pathname];
    if (asset && req.method === 'GET')
      return send(res, 200, readFileSync(join(import.meta.dirname, 'assets', asset.file), 'utf8'), asset.type);
    const segments = (m: RegExpExecArray) => m.slice(1).map((s) => decodeURIComponent(s));
    for (const route of routes) {
      const m = route.path.exec(url.pathname);
      if (!m) continue;
      if (req.method !== route.method && !(route.method === 'GET' && req.method === 'HEAD')) continue;
      try {
        await route.handle(req, res, segments(m));
      } catch (error) {
        const message = redactSecrets((error as Error).message);
        if (!res.headersSent) page(res, 500, 'Something failed', html`<p class="notice bad">${message}</p>`);
      }
      return;
    }
    const known = routes.some((r) => r.path.test(url.pathname));
    if (known) return send(res, 405, `${req.method} is not allowed here`, 'text/plain; charset=utf-8');
    page(res, 404, 'Not found', html`<p class="notice">Nothing here. <a href="/">Clusters</a></p>`);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    async close() {
      for (const stream of streams) stream.end();
      streams.clear();
      await live.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      cluster.close();
    },
  };
}

const noTableNote =
  'no State table is named (pass --table or set $TIDEMARK_TABLE_NAME, the stack output StateTableName)';

function announcement(s: SyncSummary): string {
  const state = s.stalled ? 'stalled' : s.ready === 'True' ? 'ready' : 'not ready';
  return `Sync ${s.namespace}/${s.name} is ${state}: ${s.reason}`;
}

function byName(a: SyncSummary, b: SyncSummary): number {
  return a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name);
}

function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
      if (body.length > limit) {
        reject(new Error('the form is too large'));
        req.destroy();
      }
    });
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });
}

/** The promoter's standings for the Promotions page, or what is missing to read them. */
async function promotionsOf(options: UiOptions) {
  if (!options.checkout || !options.table) {
    return {
      unavailable:
        'Promotions need a checkout of the config repo and the State table: start tidemark ui with --checkout DIR and --table NAME (or TIDEMARK_TABLE_NAME).',
    };
  }
  try {
    const standings = await readPromotionStandings({
      repo: checkoutRepo(options.checkout),
      items: new VersionedItems(options.table),
      now: () => new Date(),
    });
    return standings
      ? { standings }
      : { unavailable: `${options.checkout} has no .tidemark/promotions.yaml: no pipelines are declared.` };
  } catch (error) {
    return { unavailable: `Promotions could not be read: ${(error as Error).message}` };
  }
}
