import { isAbsolute, join, normalize, relative } from 'node:path';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { CheckoutCache } from '../adapters/git/checkout-cache';
import type { GitCredentials } from '../adapters/git/run-git';
import type { ClusterClient } from '../adapters/kubernetes/cluster-client';
import { type ChartMirror, mirrorChart } from '../core/helm/chart-mirrors';
import type { HelmSource } from '../core/helm/chart-source';
import type { HelmReleaseStatus } from '../core/helm/release-status';
import { type AppliedImage, appliedImages, withPulledDigests } from '../core/notify/applied-images';
import { type DeploymentEvent, type DeploymentEventInput, deploymentEvent } from '../core/notify/deployment-event';
import { reconcileEvents } from '../core/notify/reconcile-events';
import { publicUrl, redactSecrets } from '../core/notify/redact';
import { advance, phaseOf, type SyncPhase } from '../core/notify/sync-transitions';
import { ChangeSet } from '../core/sync/change-set';
import type { Inventory } from '../core/sync/inventory';
import type { KubeObject } from '../core/sync/kube-object';
import { nextReconcileMs } from '../core/sync/next-reconcile';
import { describeObject, parseObjectKey } from '../core/sync/object-id';
import { type SyncRef, syncFinalizer, syncLabelValue } from '../core/sync/ownership';
import { durationSeconds, parseSync, pulls, type Sync, syncApiVersion, syncKind } from '../core/sync/sync';
import { deletionEvent, eventsFor, healedEvent, type SyncEvent } from '../core/sync/sync-events';
import { revisionApplied, type SyncOutcome } from '../core/sync/sync-outcome';
import { statusAfter } from '../core/sync/sync-status';
import { defaultConcurrency } from '../engine/concurrency';
import { ChartCredentialsSource } from '../engine/render/chart-credentials';
import { pruneStale } from '../engine/sync/prune-stale';
import { syncFluxReleases } from '../engine/sync/sync-flux-releases';
import { syncFolder } from '../engine/sync/sync-folder';
import { type SyncReleaseResult, syncRelease } from '../engine/sync/sync-release';
import type { AgentMetrics } from './agent-metrics';
import { deadline } from './deadline';
import { recordEvent } from './events';
import type { Heal, SelfHeal } from './self-heal';
import { Slots } from './slots';
import { type ValuesObject, ValuesWatch } from './values-watch';
import { watchForever } from './watch-forever';

/** Which Syncs a push concerns: the repository URL and branch a webhook or the image updater names. */
export interface SyncMatch {
  url: string;
  branch: string;
}

interface SyncState {
  /** The Sync as last observed (or as our own status write left it), parsed once per version. */
  sync: Sync;
  timer?: NodeJS.Timeout;
  running?: Promise<void>;
  /** Another trigger arrived while running: run once more right after. */
  again: boolean;
  /** Callers of `reconcileNow` waiting for the next reconcile that starts after their request. */
  waiters: ((outcome: SyncOutcome | undefined) => void)[];
  lastGeneration?: number;
  lastRequestedAt?: string;
  /** Reconciles in a row that ended `progressing` (applied, waiting for health): paces the next look. */
  progressingRuns: number;
  /** Where the Sync stands for its deployment events; seeded from its status when first reconciled here. */
  phase?: SyncPhase;
  /** Whether `suspended` was announced (undefined: not known since this agent started). */
  suspended?: boolean;
  /** The images of what the Sync last applied, for the events of a later failure or heal. */
  images: AppliedImage[];
  driftTimer?: NodeJS.Timeout;
  /** What applying the current revision changed so far, over its reconciles (reported when it is deployed). */
  changes?: { revision: string; created: number; configured: number; deleted: number };
  /** Reconciles in a row that failed: paces the retries (core/sync/next-reconcile.ts). */
  failedRuns: number;
}

export interface SyncControllerOptions {
  /** Watch Syncs in this namespace only (the namespaced install); all namespaces when absent. */
  namespace?: string;
  /** Reconciles of different Syncs running at once. Default `defaultConcurrency.reconciles`. */
  concurrency?: number;
  /**
   * Where deployment events go (agent/event-publisher.ts, to the cluster's events queue), and the cluster they name.
   * `publish` must not wait: a reconcile never waits on the queue. Absent: no events, only status and Kubernetes Events.
   */
  deploymentEvents?: { cluster: string; publish(...events: DeploymentEvent[]): void };
  /** Where charts are pulled from instead of the URL Git names (the cluster's network; core/helm/chart-mirrors.ts). */
  chartMirrors?: readonly ChartMirror[];
  /**
   * The agent's own namespace. A Sync anywhere else must name `spec.serviceAccountName`, which the agent impersonates
   * to apply it: whoever may create a Sync in a namespace can then do no more there than that ServiceAccount. Absent
   * (an agent run from a laptop), no Sync needs one.
   */
  ownNamespace?: string;
}

/**
 * The agent's loop: keeps every Sync reconciled. A Sync is reconciled when it appears, when its spec changes
 * (generation), when `tidemark.dev/requested-at` changes, when `reconcileNow` asks, and every `spec.interval`.
 * One reconcile per Sync at a time; a trigger during a run queues exactly one more run. Each reconcile writes the
 * Sync's status once, in a `finally`, whatever happened.
 */
export class SyncController {
  private readonly syncs = new Map<string, SyncState>();
  private readonly abort = new AbortController();
  /** Reconciles past their fetch: render, apply, prune (the API server's load). */
  private readonly applies: Slots;
  /** Fetches in flight, apart from the applies: a slow git server never holds an apply slot. */
  private readonly fetches = new Slots(defaultConcurrency.fetches);
  /** Clients acting as the ServiceAccounts Syncs name, one per account (each with its connection pool). */
  private readonly tenants = new Map<string, ClusterClient>();
  private listed = false;
  /** ECR tokens and secretRef credentials for Helm charts, cached across reconciles (tokens renewed before expiry). */
  private chartCredentials?: ChartCredentialsSource;
  /** The values ConfigMaps/Secrets of Helm releases: a change reconciles the Syncs that read them. */
  private readonly valuesWatch: ValuesWatch;

  constructor(
    private readonly cluster: ClusterClient,
    private readonly sources: CheckoutCache,
    private readonly selfHeal: SelfHeal,
    private readonly metrics: AgentMetrics,
    private readonly logger: Logger,
    private readonly options: SyncControllerOptions = {},
  ) {
    this.valuesWatch = new ValuesWatch(cluster, logger, (label) => {
      const state = this.syncs.get(label);
      if (state) this.trigger(state);
    });
    this.applies = new Slots(options.concurrency ?? defaultConcurrency.reconciles);
  }

  private get charts(): ChartCredentialsSource {
    this.chartCredentials ??= new ChartCredentialsSource(this.cluster);
    return this.chartCredentials;
  }

  /** True once the Syncs have been listed. */
  get ready(): boolean {
    return this.listed;
  }

  /** Lists and watches Syncs until `stop`. Resolves after the first list. */
  async start(): Promise<void> {
    const first = await this.cluster.list(syncApiVersion, syncKind, { namespace: this.options.namespace });
    for (const sync of first) this.observe(sync);
    this.listed = true;
    void this.watchLoop();
  }

  /**
   * Stops scheduling and cuts short the fetches and renders in flight (git and kustomize are killed); resolves when
   * running reconciles have finished. One cut short writes no status: the next agent reconciles it again. An apply in
   * progress is finished (and its status written), since the objects of a stage go out together.
   */
  async stop(): Promise<void> {
    this.abort.abort(new Error('the agent is stopping'));
    this.valuesWatch.stop();
    for (const state of this.syncs.values()) clearTimeout(state.timer);
    await Promise.allSettled([...this.syncs.values()].map((state) => state.running));
    for (const client of this.tenants.values()) client.close();
  }

  /**
   * Reconciles now every Sync that pulls `match.branch` of `match.url`, and resolves with their outcomes once those
   * reconciles have finished. A reconcile already running when this is called may predate the push, so the Sync is
   * reconciled again after it. URLs name the same repository as core/config/repo-url.ts decides.
   *
   * @example
   * const outcomes = await controller.reconcileNow({ url: 'https://git.example.com/config.git', branch: 'main' });
   */
  async reconcileNow(match: SyncMatch): Promise<SyncOutcome[]> {
    const targets = [...this.syncs.values()].filter((state) => pulls(state.sync, match));
    const outcomes = await Promise.all(
      targets.map(
        (state) =>
          new Promise<SyncOutcome | undefined>((resolve) => {
            state.waiters.push(resolve);
            this.trigger(state);
          }),
      ),
    );
    return outcomes.filter((outcome): outcome is SyncOutcome => outcome !== undefined);
  }

  /**
   * `status.lastAppliedRevision` of every Sync that pulls this repo and branch and is not suspended (undefined: nothing
   * applied yet), from the Syncs this controller watches: the sync-queue listener asks here instead of listing them.
   */
  async appliedRevisions(match: SyncMatch): Promise<(string | undefined)[]> {
    return [...this.syncs.values()]
      .filter(({ sync }) => pulls(sync, match) && sync.spec.ok && !sync.spec.spec.suspend)
      .map(({ sync }) => sync.status.lastAppliedRevision);
  }

  /**
   * `status.driftedObjects` for `tidemark get`: written a second after the count changes (a burst of edits is one
   * write), outside any reconcile; a reconcile sets it to 0 itself.
   */
  recordDrift(sync: string, objects: number): void {
    const state = this.syncs.get(sync);
    if (state === undefined) return;
    clearTimeout(state.driftTimer);
    state.driftTimer = setTimeout(() => {
      const { ref } = state.sync;
      const syncObjectRef = { apiVersion: syncApiVersion, kind: syncKind, namespace: ref.namespace, name: ref.name };
      this.cluster
        .mergePatch(syncObjectRef, { status: { driftedObjects: objects } }, 'status')
        .then(() => {
          state.sync = { ...state.sync, status: { ...state.sync.status, driftedObjects: objects } };
        })
        .catch((error: Error) => this.logger.warn('writing the drift count failed', { sync, error: error.message }));
    }, 1000);
    state.driftTimer.unref();
  }

  /** A Kubernetes Event on the Sync for a heal, naming the manager whose change was reverted. */
  async recordHeal(heal: Heal): Promise<void> {
    const state = this.syncs.get(heal.sync);
    if (state === undefined) return;
    const event = healedEvent(heal.subject, heal.changedBy);
    this.publishAbout(state, {
      kind: 'healed',
      reason: 'Healed',
      message: event.message,
      heal: { object: heal.subject, changedBy: heal.changedBy },
    });
    await recordEvent(this.cluster, state.sync.object, event).catch((error: Error) =>
      this.logger.warn('recording an Event failed', { sync: heal.sync, error: error.message }),
    );
  }

  private watchLoop(): Promise<void> {
    return watchForever(
      this.cluster,
      { apiVersion: syncApiVersion, kind: syncKind, namespace: this.options.namespace },
      this.abort.signal,
      (event) => {
        if (event.type === 'DELETED') this.forget(event.object);
        else this.observe(event.object);
      },
      (error) => this.logger.warn('watching Syncs failed; retrying', { error: error.message }),
    );
  }

  private observe(object: KubeObject): void {
    const sync = parseSync(object);
    const key = syncLabelValue(sync.ref);
    const known = this.syncs.get(key);
    if (known === undefined) {
      const state: SyncState = { sync, again: false, waiters: [], progressingRuns: 0, failedRuns: 0, images: [] };
      this.syncs.set(key, state);
      state.lastRequestedAt = sync.status.lastHandledRequestedAt;
      this.trigger(state);
      return;
    }
    known.sync = sync;
    const specChanged = sync.generation !== known.lastGeneration;
    const requested = sync.requestedAt !== undefined && sync.requestedAt !== known.lastRequestedAt;
    if (specChanged || requested || isBeingDeleted(sync)) this.trigger(known);
  }

  private forget(object: KubeObject): void {
    const key = syncLabelValue(parseSync(object).ref);
    const state = this.syncs.get(key);
    clearTimeout(state?.timer);
    this.syncs.delete(key);
    this.selfHeal.track(key, undefined);
    this.valuesWatch.track(key, []);
  }

  private trigger(state: SyncState): void {
    if (this.abort.signal.aborted) return;
    clearTimeout(state.timer);
    if (state.running) {
      state.again = true;
      return;
    }
    const waiters = state.waiters.splice(0);
    state.running = this.reconcile(state)
      .catch((error: Error) => {
        // Never leave a Sync without a next run because of a bug or an unforeseen failure: log it and carry on.
        this.logger.error('reconcile crashed', {
          sync: syncLabelValue(state.sync.ref),
          error: error.stack ?? error.message,
        });
        return undefined;
      })
      .then((outcome) => {
        for (const resolve of waiters) resolve(outcome);
        return outcome;
      })
      .then((outcome) => {
        state.running = undefined;
        if (!this.syncs.has(syncLabelValue(state.sync.ref)) || this.abort.signal.aborted) return;
        if (state.again || state.waiters.length > 0) {
          state.again = false;
          this.trigger(state);
        } else {
          state.progressingRuns = outcome?.kind === 'progressing' ? state.progressingRuns + 1 : 0;
          state.failedRuns = failed(outcome, state.sync) ? state.failedRuns + 1 : 0;
          const delay = nextReconcileMs({
            outcome,
            intervalSeconds: state.sync.spec.ok ? (durationSeconds(state.sync.spec.spec.interval) ?? 60) : 60,
            progressingRuns: state.progressingRuns,
            failedRuns: state.failedRuns,
            random: Math.random(),
          });
          state.timer = setTimeout(() => this.trigger(state), delay);
        }
      });
  }

  private async reconcile(state: SyncState): Promise<SyncOutcome | undefined> {
    const { sync } = state;
    const { ref, requestedAt, spec: parsed } = sync;
    const label = syncLabelValue(ref);
    state.lastGeneration = sync.generation;
    state.lastRequestedAt = requestedAt;
    if (sync.object.metadata.deletionTimestamp) {
      await this.finalize(state);
      return undefined;
    }
    if (!(sync.object.metadata.finalizers ?? []).includes(syncFinalizer)) await this.addFinalizer(sync);
    if (parsed.ok && parsed.spec.suspend) {
      // Suspended means hands off: no reconcile, and no healing with what the last reconcile applied either (drift is
      // still counted for `tidemark get`).
      this.selfHeal.observeOnly(label);
      this.announceSuspension(state, true);
      return undefined;
    }
    this.announceSuspension(state, false);
    const started = Date.now();
    let outcome: SyncOutcome = { kind: 'fetch-failed', message: 'the reconcile did not finish' };
    let desired: KubeObject[] | undefined;
    let release: HelmReleaseStatus | undefined;
    let subject: string | undefined;
    let valuesRead: ValuesRead | undefined;
    let fluxReleases: HelmReleaseStatus[] | undefined;
    /** Cut short by stop(): nothing is written, the Sync is reconciled again by the next agent. */
    let interrupted = false;
    try {
      if (!parsed.ok) {
        outcome = { kind: 'spec-invalid', message: parsed.message };
        return outcome;
      }
      const { spec } = parsed;
      const own = this.options.ownNamespace;
      if (spec.serviceAccountName === undefined && own !== undefined && ref.namespace !== own) {
        outcome = {
          kind: 'spec-invalid',
          message: `spec.serviceAccountName is required for a Sync outside ${own}, the agent's namespace: the agent applies it as that ServiceAccount. Name one in ${ref.namespace} with the permissions the Sync needs`,
        };
        return outcome;
      }
      const applier = this.applierFor(ref, spec.serviceAccountName);
      const timeoutSeconds = durationSeconds(spec.timeout) ?? 180;
      let source: { revision: string; dir: string };
      const fetching = deadline(timeoutSeconds, this.abort.signal);
      try {
        const checkout = await this.fetches.run(async () =>
          this.sources.fetch(spec.url, spec.branch, await this.credentialsFor(ref, spec.secretRef?.name), {
            signal: fetching.signal,
          }),
        );
        source = checkout;
        subject = await checkout.subject().catch(() => undefined);
      } catch (error) {
        interrupted = this.abort.signal.aborted;
        outcome = {
          kind: 'fetch-failed',
          message: `Fetching ${publicUrl(spec.url)} (${spec.branch}) failed: ${(error as Error).message}`,
        };
        return outcome;
      } finally {
        fetching.clear();
      }
      const dir = join(source.dir, normalize(spec.path));
      const inside = relative(source.dir, dir);
      if (inside.startsWith('..') || isAbsolute(inside)) {
        outcome = {
          kind: 'spec-invalid',
          message: `spec.path: '${spec.path}' leaves the repository. Use a folder inside it.`,
        };
        return outcome;
      }
      outcome = await this.applies.run(async () => {
        // From here on the Sync's own applies and prunes are not drift; while it fetched, self-heal kept watching.
        this.selfHeal.pause(label);
        const rendering = deadline(timeoutSeconds, this.abort.signal);
        try {
          const request = {
            sync: ref,
            dir,
            revision: source.revision,
            previous: sync.status.inventory,
            prune: spec.prune,
            maxPruneShare: spec.maxPrunePercent / 100,
            recordIntent: (intended: Inventory) => this.recordIntent(ref, intended),
            render: {
              signal: rendering.signal,
              confine: { root: source.dir, remoteResources: spec.remoteResources },
            },
          };
          const mirrors = this.options.chartMirrors ?? [];
          const mirrored = spec.helm ? mirrorChart(spec.helm.chart, mirrors) : undefined;
          const result = spec.helm
            ? await syncRelease(applier, {
                ...request,
                helm: { ...spec.helm, chart: mirrored?.chart ?? spec.helm.chart },
                repoRoot: source.dir,
                previousRelease: sync.status.helm,
                // Helm's `lookup` reads the cluster with these credentials: a tenant's chart reads as the tenant.
                lookupAs: applier.credentials,
                chartCredentials: mirrored?.mirror?.secretRef
                  ? await this.charts.for(
                      { ...(mirrored.chart ?? spec.helm.chart), secretRef: { name: mirrored.mirror.secretRef.name } },
                      mirrored.mirror.secretRef.namespace,
                    )
                  : await this.charts.for(mirrored?.chart ?? spec.helm.chart, ref.namespace),
              })
            : spec.fluxHelmReleases
              ? await syncFluxReleases(applier, {
                  ...request,
                  repoRoot: source.dir,
                  previousReleases: sync.status.helmReleases,
                  mirrors,
                  chartCredentials: (chart, namespace) => this.charts.for(chart, namespace),
                  lookupAs: applier.credentials,
                })
              : await syncFolder(applier, request);
          if ('release' in result) release = result.release as HelmReleaseStatus | undefined;
          if ('releases' in result) fluxReleases = result.releases as HelmReleaseStatus[];
          if (spec.helm || spec.fluxHelmReleases) valuesRead = (result as SyncReleaseResult).valuesSources;
          if (revisionApplied(result.outcome) || result.outcome.kind === 'prune-refused') desired = result.desired;
          interrupted = result.outcome.kind === 'render-failed' && this.abort.signal.aborted;
          return result.outcome;
        } catch (error) {
          // An unexpected failure (the API server unreachable mid-apply): reported and retried like an apply failure.
          return {
            kind: 'apply-failed',
            revision: source.revision,
            message: (error as Error).message,
            failures: [(error as Error).message],
            changeSet: new ChangeSet(),
          } satisfies SyncOutcome;
        } finally {
          rendering.clear();
        }
      });
      return outcome;
    } finally {
      // Self-heal takes over before the status says Ready: whoever reads Ready and edits an object is healed (an
      // edit made while the Sync was paused is checked now, against what this reconcile applied).
      if (desired !== undefined) this.selfHeal.track(label, desired, { heal: parsed.ok && parsed.spec.selfHeal });
      // selfHeal: false stops healing at once, even when this reconcile failed and applied nothing new.
      else if (parsed.ok && !parsed.spec.selfHeal) this.selfHeal.observeOnly(label);
      this.selfHeal.resume(label);
      if (interrupted) {
        this.logger.info('reconcile cut short: the agent is stopping', { sync: label });
      } else {
        await this.finish(sync, ref, outcome, requestedAt, Date.now() - started, {
          subject,
          desired,
          release,
          fluxReleases,
        });
      }
      if (parsed.ok)
        this.valuesWatch.track(
          label,
          parsed.spec.fluxHelmReleases && valuesRead
            ? valuesRead.map((v) => ({ ...v, namespace: ref.namespace }))
            : valuesObjectsOf(ref, parsed.spec.helm, valuesRead),
        );
    }
  }

  /**
   * Who applies a Sync's objects: the agent itself, or (with `spec.serviceAccountName`) a client impersonating that
   * ServiceAccount of the Sync's namespace, so the API server's authorizer judges every apply, prune and delete as the
   * tenant's. Status, Events and the credentials Secret stay the agent's own.
   */
  private applierFor(ref: SyncRef, serviceAccountName: string | undefined): ClusterClient {
    if (serviceAccountName === undefined) return this.cluster;
    const key = `${ref.namespace}/${serviceAccountName}`;
    let client = this.tenants.get(key);
    if (client === undefined) {
      client = this.cluster.asServiceAccount(ref.namespace, serviceAccountName);
      this.tenants.set(key, client);
    }
    return client;
  }

  /**
   * Writes the inventory a reconcile is about to apply into the Sync's status, before it applies (see
   * `recordIntent` in engine/sync/sync-folder.ts). The status written at the end of the reconcile replaces it.
   */
  private async recordIntent(ref: SyncRef, intended: Inventory): Promise<void> {
    const syncObjectRef = { apiVersion: syncApiVersion, kind: syncKind, namespace: ref.namespace, name: ref.name };
    try {
      await this.cluster.mergePatch(syncObjectRef, { status: { inventory: intended } }, 'status');
    } catch (error) {
      throw new Error(
        `recording the objects about to be applied in status.inventory failed (${(error as Error).message}); nothing was applied`,
        { cause: error },
      );
    }
  }

  /**
   * Puts the finalizer on a Sync the first time it is reconciled, so that deleting it waits for {@link finalize}.
   * Guarded by the resourceVersion read: a concurrent change wins and the next reconcile tries again.
   */
  private async addFinalizer(sync: Sync): Promise<void> {
    const { ref, object } = sync;
    try {
      await this.cluster.mergePatch(
        { apiVersion: syncApiVersion, kind: syncKind, namespace: ref.namespace, name: ref.name },
        {
          metadata: {
            finalizers: [...(object.metadata.finalizers ?? []), syncFinalizer],
            resourceVersion: object.metadata.resourceVersion,
          },
        },
      );
    } catch (error) {
      this.logger.warn('adding the finalizer failed; retried at the next reconcile', {
        sync: syncLabelValue(ref),
        error: (error as Error).message,
      });
    }
  }

  /**
   * A Sync being deleted: with `prune: true`, deletes everything in its inventory by the prune rules (only objects that
   * still carry its labels; Namespaces, PVCs, PVs and CRDs only with `tidemark.dev/prune: allow`), in reverse stage
   * order; with `prune: false` (or suspended, or a spec that does not parse) leaves them and says so. Either way an
   * Event tells what happened, then the finalizer is removed and the API server deletes the Sync. A deletion that fails
   * keeps the finalizer and is retried with the failure backoff.
   */
  private async finalize(state: SyncState): Promise<void> {
    const { sync } = state;
    const { ref, spec: parsed, object } = sync;
    const label = syncLabelValue(ref);
    if (!(object.metadata.finalizers ?? []).includes(syncFinalizer)) return;
    // Self-heal would re-create what is deleted below.
    this.selfHeal.track(label, undefined);
    const entries = sync.status.inventory?.entries ?? [];
    const orphanBecause = !parsed.ok
      ? 'a spec that does not parse (nothing is deleted on a guess)'
      : !parsed.spec.prune
        ? 'prune: false'
        : parsed.spec.suspend
          ? 'suspend: true'
          : undefined;
    let event: SyncEvent;
    if (orphanBecause !== undefined) {
      const subjects = entries.map((e) => describeObject(parseObjectKey(e.id)));
      event = deletionEvent({ kind: 'orphaned', why: orphanBecause, subjects });
    } else {
      const changeSet = new ChangeSet();
      // Everything goes at once, which is the intent of deleting the Sync: the share and empty-render guards that keep
      // a reconcile from following a wrong path are opened (as `tidemark uninstall --prune` does); the ownership and
      // protected-kind rules are not.
      const pruned = await pruneStale(
        this.applierFor(ref, parsed.ok ? parsed.spec.serviceAccountName : undefined),
        {
          sync: ref,
          previous: { entries },
          current: { entries: [] },
          renderedCount: entries.length,
          maxPruneShare: 1,
          dryRun: false,
        },
        changeSet,
      ).catch((error: Error) => ({ kind: 'refused' as const, reason: error.message }));
      const failures =
        pruned.kind === 'refused' ? [pruned.reason] : pruned.failures.map((f) => `${f.key}: ${f.message}`);
      if (failures.length > 0) {
        await this.record(sync, deletionEvent({ kind: 'failed', failures }));
        throw new Error(`deleting the objects of Sync ${label} failed: ${failures.join('; ')}`);
      }
      event = deletionEvent({ kind: 'pruned', changeSet });
    }
    await this.record(sync, event);
    const syncObjectRef = { apiVersion: syncApiVersion, kind: syncKind, namespace: ref.namespace, name: ref.name };
    // The finalizers as they are now (another controller may have added or removed one), guarded by that version.
    const current = await this.cluster.get(syncObjectRef);
    if (current === undefined) return;
    await this.cluster.mergePatch(syncObjectRef, {
      metadata: {
        finalizers: (current.metadata.finalizers ?? []).filter((f) => f !== syncFinalizer),
        resourceVersion: current.metadata.resourceVersion,
      },
    });
    this.logger.info('Sync deleted', { sync: label, reason: event.reason, objects: entries.length });
  }

  private async record(sync: Sync, event: SyncEvent): Promise<void> {
    await recordEvent(this.cluster, sync.object, event).catch((error: Error) =>
      this.logger.warn('recording an Event failed', { sync: syncLabelValue(sync.ref), error: error.message }),
    );
  }

  /** Status (once), Events, metrics and a log line for a finished reconcile. */
  private async finish(
    sync: Sync,
    ref: SyncRef,
    reported: SyncOutcome,
    requestedAt: string | undefined,
    ms: number,
    applied: {
      subject?: string;
      desired?: KubeObject[];
      release?: HelmReleaseStatus;
      fluxReleases?: HelmReleaseStatus[];
    } = {},
  ) {
    const outcome = withoutCredentials(reported);
    const label = syncLabelValue(ref);
    const status = statusAfter(sync.status, outcome, {
      now: new Date(),
      generation: sync.generation,
      requestedAt,
      subject: applied.subject,
    });
    // A release that did not become current keeps the previous revision (sync-release.ts), so its hooks run again.
    const { release } = applied;
    if (release) status.helm = release.revision ? release : { ...release, revision: sync.status.helm?.revision ?? '' };
    // A render failure names no release: the last known ones stay (their revisions decide the next hooks).
    if (applied.fluxReleases && (applied.fluxReleases.length > 0 || revisionApplied(outcome)))
      status.helmReleases = applied.fluxReleases;
    await this.announce(sync, ref, outcome, applied);
    const ready = status.conditions?.find((c) => c.type === 'Ready');
    this.metrics.reconcileDuration.observe({ sync: label, outcome: outcome.kind }, ms / 1000);
    if ('changeSet' in outcome) {
      for (const action of ['created', 'configured', 'unchanged', 'deleted', 'skipped'] as const) {
        const n = outcome.changeSet.count(action);
        if (n > 0) this.metrics.objects.inc({ sync: label, action }, n);
      }
    }
    if (outcome.kind === 'applied') this.metrics.lastSuccess.set({ sync: label }, Date.now() / 1000);
    this.logger.info('reconciled', {
      sync: label,
      outcome: outcome.kind,
      revision: outcome.revision,
      ms,
      // Not `message`: Powertools reserves that key for the log line itself and drops it.
      readyMessage: ready?.message,
    });
    try {
      const syncObjectRef = { apiVersion: syncApiVersion, kind: syncKind, namespace: ref.namespace, name: ref.name };
      const updated = await this.cluster.mergePatch(syncObjectRef, { status }, 'status');
      const state = this.syncs.get(label);
      // A status write leaves the spec as it was: no parse needed.
      const written = (updated.status ?? {}) as Sync['status'];
      if (state) state.sync = { ...state.sync, status: written, object: { ...state.sync.object, status: written } };
    } catch (error) {
      this.logger.error('writing Sync status failed', { sync: label, error: (error as Error).message });
    }
    for (const event of eventsFor(outcome, ready?.message ?? '')) {
      await recordEvent(this.cluster, sync.object, event).catch((error: Error) =>
        this.logger.warn('recording an Event failed', { sync: label, error: error.message }),
      );
    }
  }

  /**
   * The deployment events of a finished reconcile: the transitions its outcome makes from where the Sync stood
   * (core/notify/sync-transitions.ts), with the commit subject, the images applied (and the digests their Pods pulled,
   * for a deploy) and the health summary. Handed to the publisher, which returns at once.
   */
  private async announce(
    sync: Sync,
    ref: SyncRef,
    outcome: SyncOutcome,
    applied: { subject?: string; desired?: KubeObject[] },
  ): Promise<void> {
    const deployments = this.options.deploymentEvents;
    const state = this.syncs.get(syncLabelValue(ref));
    if (!deployments || !state || !sync.spec.ok) return;
    const now = new Date();
    const { transitions, phase } = advance(state.phase ?? phaseOf(sync.status), outcome, now);
    state.phase = phase;
    if (applied.desired && revisionApplied(outcome)) state.images = appliedImages(applied.desired);
    if ('changeSet' in outcome && revisionApplied(outcome)) {
      const before = state.changes?.revision === outcome.revision ? state.changes : undefined;
      state.changes = {
        revision: outcome.revision,
        created: (before?.created ?? 0) + outcome.changeSet.count('created'),
        configured: (before?.configured ?? 0) + outcome.changeSet.count('configured'),
        deleted: (before?.deleted ?? 0) + outcome.changeSet.count('deleted'),
      };
    }
    if (transitions.length === 0) return;
    if (transitions.some((t) => t.kind === 'deployed')) state.images = await this.pulledDigests(state.images, applied);
    deployments.publish(
      ...reconcileEvents(outcome, transitions, {
        cluster: deployments.cluster,
        sync: ref,
        repo: sync.spec.spec.url,
        path: sync.spec.spec.path,
        ...(applied.subject === undefined ? {} : { subject: applied.subject }),
        images: state.images,
        ...(state.changes?.revision === outcome.revision ? { changes: state.changes } : {}),
        at: now,
      }),
    );
  }

  /**
   * The digests the kubelet reported for images Git names by tag, from the Pods of the applied workloads' namespaces.
   * At most two seconds: the event goes out without them rather than late.
   */
  private async pulledDigests(images: AppliedImage[], applied: { desired?: KubeObject[] }): Promise<AppliedImage[]> {
    if (images.every((i) => i.digest !== null)) return images;
    const namespaces = [
      ...new Set(
        (applied.desired ?? [])
          .filter((o) => ['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob', 'Pod'].includes(o.kind))
          .map((o) => o.metadata.namespace)
          .filter((n): n is string => n !== undefined),
      ),
    ].slice(0, 10);
    const pods = Promise.all(namespaces.map((namespace) => this.cluster.list('v1', 'Pod', { namespace })));
    const timeout = new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 2000).unref());
    const listed = await Promise.race([pods.catch(() => undefined), timeout]);
    return listed ? withPulledDigests(images, listed.flat()) : images;
  }

  /** `suspended` when spec.suspend is set, `resumed` when it is cleared again; once per change. */
  private announceSuspension(state: SyncState, suspended: boolean): void {
    const known = state.suspended;
    state.suspended = suspended;
    // Not announced by an agent that does not know the Sync was suspended before (it just started): a resume is news
    // only after a suspend; a Sync found suspended is announced, and the notifier drops a repeat.
    if (known === suspended || (known === undefined && !suspended)) return;
    this.publishAbout(state, {
      kind: suspended ? 'suspended' : 'resumed',
      reason: suspended ? 'Suspended' : 'Resumed',
      message: suspended ? 'spec.suspend is true: nothing is applied until it is cleared' : 'spec.suspend was cleared',
    });
  }

  /** A deployment event about a Sync's applied revision that no reconcile outcome carries (a heal, a suspension). */
  private publishAbout(
    state: SyncState,
    what: Pick<DeploymentEventInput, 'kind' | 'reason' | 'message' | 'heal'>,
  ): void {
    const deployments = this.options.deploymentEvents;
    const { status, ref, spec } = state.sync;
    if (!deployments || !spec.ok) return;
    deployments.publish(
      deploymentEvent({
        ...what,
        at: new Date().toISOString(),
        cluster: deployments.cluster,
        sync: ref,
        repo: spec.spec.url,
        ...(status.lastAppliedRevision ? { revision: status.lastAppliedRevision } : {}),
        subject: status.lastAppliedSubject ?? '',
        images: state.images,
      }),
    );
  }

  /** Git credentials from the Sync's secretRef: keys `username` and `password` (or a token as password). */
  private async credentialsFor(ref: SyncRef, secretName: string | undefined): Promise<GitCredentials | undefined> {
    if (!secretName) return undefined;
    const secret = await this.cluster.get({
      apiVersion: 'v1',
      kind: 'Secret',
      namespace: ref.namespace,
      name: secretName,
    });
    const data = (secret?.data ?? {}) as Record<string, string>;
    if (!secret || !data.password) {
      throw new Error(
        `Secret ${ref.namespace}/${secretName} is missing or has no 'password' key. Create it with username and password (or token)`,
      );
    }
    const decode = (value: string | undefined) => Buffer.from(value ?? '', 'base64').toString('utf8');
    return { username: decode(data.username) || 'git', password: decode(data.password) };
  }
}

type ValuesRead = NonNullable<SyncReleaseResult['valuesSources']>;

/**
 * What to watch for a Sync: every `valuesFrom` reference of its release (also a missing or optional one, so that
 * creating it reconciles), at the resourceVersion this reconcile read, when it read one.
 */
function valuesObjectsOf(ref: SyncRef, helm: HelmSource | undefined, read: ValuesRead | undefined): ValuesObject[] {
  return (helm?.valuesFrom ?? []).map((from) => {
    const seen = read?.find((r) => r.kind === from.kind && r.name === from.name);
    return {
      kind: from.kind,
      namespace: ref.namespace,
      name: from.name,
      ...(seen ? { resourceVersion: seen.resourceVersion } : read ? { resourceVersion: '' } : {}),
    };
  });
}

/** Whether the Sync is being deleted and still waits for this agent's finalizer. */
function isBeingDeleted(sync: Sync): boolean {
  const { metadata } = sync.object;
  return metadata.deletionTimestamp !== undefined && (metadata.finalizers ?? []).includes(syncFinalizer);
}

/** Whether a reconcile failed (a crash, undefined, counts; a suspended Sync's skipped reconcile does not). */
function failed(outcome: SyncOutcome | undefined, sync: Sync): boolean {
  if (outcome === undefined) return !(sync.spec.ok && sync.spec.spec.suspend);
  return outcome.kind !== 'applied' && outcome.kind !== 'progressing';
}

/**
 * The outcome with credentials removed from every message it carries: status, Events, deployment events and the log
 * all take their text from it. A Sync URL may hold user-info (`https://user:token@host/…`; the CRD refuses it, an older
 * CRD did not), git and the API server quote URLs and headers in their errors, and Events are readable by the built-in
 * `view` role, which cannot read Secrets.
 */
function withoutCredentials(outcome: SyncOutcome): SyncOutcome {
  const redacted: Record<string, unknown> = { ...outcome };
  if (typeof redacted.message === 'string') redacted.message = redactSecrets(redacted.message);
  if (Array.isArray(redacted.failures)) redacted.failures = redacted.failures.map((f) => redactSecrets(String(f)));
  return redacted as SyncOutcome;
}
