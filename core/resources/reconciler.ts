import type { z } from 'zod';

/**
 * What `observe` found in the provider for one declaration: its state, and the ownership marker on it. The marker is
 * the owner id of the Tidemark deployment that created the object (a TXT registry record in Route 53, a COMMENT in
 * PostgreSQL, a tag in most AWS APIs), or `null` when there is none: the object was made outside Tidemark, and is
 * never changed or deleted unless its declaration asks to adopt it.
 */
export interface Observed<Actual> {
  state: Actual;
  owner: string | null;
}

/**
 * One field that applying the declaration would change: `ttl 60 → 300`. A `plan` returns these; the engine shows them
 * in the dry run, in status and, when nobody changed Git, as drift ("changed outside Git"). `from` is what the
 * provider holds (`undefined`: absent), `to` what Git says.
 */
export interface FieldChange {
  /** As people read it: `ttl`, `values`, `grants[database=app].privileges`. */
  path: string;
  from: unknown;
  to: unknown;
  /** A password or key: never shown, hashed or stored; every message says `(hidden)` instead. */
  sensitive?: boolean;
  /**
   * Set when the provider cannot make this change in place, with the reason and the fix ("encoding is fixed when a
   * database is created. Create a database of another name and move the data"). The object then fails to apply
   * instead of being replaced: a replacement deletes data, which only a person decides.
   */
  immutable?: string;
}

/** Secrets Manager, as a reconciler sees it: values are for `apply` only and must never reach a message or a log. */
export interface SecretReader {
  /** The secret string, or one key of a JSON secret. */
  value(name: string, key?: string): Promise<string>;
  /** The id of the secret's current version: what `observe` compares to notice a rotated secret without reading it. */
  version(name: string): Promise<string>;
}

export interface ReconcileLog {
  info(message: string, details?: Record<string, unknown>): void;
  warn(message: string, details?: Record<string, unknown>): void;
}

/**
 * What the engine hands a reconciler's `observe`, `apply` and `remove`, per run of one folder.
 *
 * `memo` is how a per-object API stays cheap against a provider that answers in bulk: the Route 53 reconciler's
 * `observe` of one record set is `ctx.memo('zone:Z1', () => listZone('Z1'))` plus a lookup, so 500 declarations in one
 * zone cost one paged listing, not 500 calls (Route 53 allows five requests a second per account).
 */
export interface ReconcileContext<Settings = unknown> {
  /** The ownership marker to write on everything `apply` creates or adopts, and to require before changing anything. */
  readonly ownerId: string;
  /** This folder's `settings` from tidemark.config.yaml, validated by the reconciler's `settings` schema. */
  readonly settings: Settings;
  readonly secrets: SecretReader;
  readonly log: ReconcileLog;
  /**
   * The first call with a key runs `load` (retried with backoff); later calls in the same run share its result, or
   * its final failure, which is then not retried again.
   */
  memo<T>(key: string, load: () => Promise<T>): Promise<T>;
  /** Runs `cleanup` when the run ends, whatever its outcome: closes what a `memo` opened (a database connection). */
  onDone(cleanup: () => Promise<void> | void): void;
}

/**
 * A reconciler for one kind of declaration, `<kind>.tidemark.dev/v1alpha1`. Tidemark supplies the rest, as the agent
 * does for Kubernetes: reading the declarations from the config repo, the inventory, prune safety, ownership checks,
 * retries with backoff, drift alerts, status and the dry run.
 *
 * The contract, which the engine relies on:
 * - `identify` is pure and stable: two declarations with one identity are the same object in the provider; a new
 *   identity is a new object (and the old one is pruned). Include everything that names the object, nothing else.
 * - `observe` only reads. It returns `undefined` when the object does not exist.
 * - `plan` is pure: `[]` means in sync. With `actual` undefined it describes the object to create.
 * - `apply` makes the provider match `desired` and writes `ctx.ownerId` as the ownership marker in the same step when
 *   it can (one Route 53 change batch, one SQL transaction), so no object exists unmarked. It is called only for an
 *   object that is absent, marked with `ctx.ownerId`, or whose declaration asks to adopt it.
 * - `remove` deletes an object that left Git. It is called only for an object Tidemark created (its marker is
 *   `ctx.ownerId`), and may decline: `'retained'` (a database whose declaration never allowed dropping it).
 * - Errors are retried with backoff unless they are {@link PermanentError}s; messages must not contain secrets.
 */
export interface ReconcilerDefinition<Spec, Actual, Settings = Record<string, unknown>> {
  /** `DnsRecordSet`: the declaration's `kind`, with `apiVersion: tidemark.dev/v1alpha1`. */
  kind: string;
  /** The declaration's `spec`. Its messages become the errors a user sees, with the file, line and key. */
  schema: z.ZodType<Spec>;
  /** The folder's `settings` in tidemark.config.yaml. @default - settings must be empty */
  settings?: z.ZodType<Settings>;
  /** The object's name in the provider, unique within this kind: `api.example.com A`. */
  identify(spec: Spec): string;
  /**
   * Declarations that must be applied before this one, as `<Kind>/<identity>` (a database before the role granted on
   * it). One that is not declared in the folder is ignored; one that failed makes this one wait.
   */
  dependsOn?(spec: Spec): string[];
  observe(spec: Spec, ctx: ReconcileContext<Settings>): Promise<Observed<Actual> | undefined>;
  plan(desired: Spec, actual: Actual | undefined): FieldChange[];
  apply(
    desired: Spec,
    actual: Observed<Actual> | undefined,
    changes: FieldChange[],
    ctx: ReconcileContext<Settings>,
  ): Promise<void>;
  remove(last: Spec, actual: Observed<Actual>, ctx: ReconcileContext<Settings>): Promise<'removed' | 'retained'>;
  /**
   * Objects observed or applied at once. Tune to the provider's rate limits.
   * @default 8
   */
  concurrency?: number;
}

/** A reconciler as the engine holds it: the definition with its types erased, checked once by {@link defineReconciler}. */
// biome-ignore lint/suspicious/noExplicitAny: the engine treats every reconciler's spec and state as opaque values
export type Reconciler = ReconcilerDefinition<any, any, any>;

/** A file of reconcilers (`reconcilers: [./reconcilers/github-repo.ts]`): its default export, one or a list. */
export type ReconcilerModule = Reconciler | readonly Reconciler[];

/** An error that retrying cannot fix (a refusal, a validation error): reported at once, without backoff. */
export class PermanentError extends Error {
  readonly retryable = false;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'PermanentError';
  }
}

const kindPattern = /^[A-Z][A-Za-z0-9]{0,62}$/;

/**
 * Declares a reconciler. Checks the definition once, where a mistake is cheap to fix (at import, in tests and at
 * `cdk synth`), and returns it typed, so `plan` and `apply` see the spec their schema parses.
 *
 * @example
 * export default defineReconciler({
 *   kind: 'SsmParameter',
 *   schema: z.object({ name: z.string(), value: z.string() }),
 *   identify: (spec) => spec.name,
 *   observe: async (spec, ctx) => readParameter(spec.name, ctx),
 *   plan: (desired, actual) => diffFields({ value: desired.value }, actual && { value: actual.value }),
 *   apply: async (desired, _actual, _changes, ctx) => putParameter(desired, ctx.ownerId),
 *   remove: async (last) => (await deleteParameter(last.name), 'removed'),
 * });
 */
export function defineReconciler<Spec, Actual, Settings = Record<string, unknown>>(
  definition: ReconcilerDefinition<Spec, Actual, Settings>,
): ReconcilerDefinition<Spec, Actual, Settings> {
  if (!kindPattern.test(definition.kind)) {
    throw new Error(
      `defineReconciler: kind '${definition.kind}' is not a kind name. Use PascalCase letters and digits, such as 'DnsRecordSet'`,
    );
  }
  for (const hook of ['identify', 'observe', 'plan', 'apply', 'remove'] as const) {
    if (typeof definition[hook] !== 'function') {
      throw new Error(`defineReconciler: ${definition.kind} has no ${hook} function. Every reconciler defines ${hook}`);
    }
  }
  if (typeof definition.schema?.safeParse !== 'function') {
    throw new Error(`defineReconciler: ${definition.kind}'s schema is not a zod schema. Pass z.object({ … })`);
  }
  // The default (8) is the engine's, in engine/concurrency.ts with the other concurrency defaults.
  const { concurrency } = definition;
  if (concurrency !== undefined && (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 256)) {
    throw new Error(
      `defineReconciler: ${definition.kind}'s concurrency must be 1 to 256, but ${concurrency} was given`,
    );
  }
  return definition;
}

/** The reconcilers of a module, by kind; two with one kind are an error naming it. */
export function reconcilersByKind(module: ReconcilerModule): ReadonlyMap<string, Reconciler> {
  const list: readonly Reconciler[] = Array.isArray(module) ? module : [module as Reconciler];
  const byKind = new Map<string, Reconciler>();
  for (const reconciler of list) {
    if (byKind.has(reconciler.kind)) {
      throw new Error(`two reconcilers handle the kind ${reconciler.kind}. Keep one definition per kind`);
    }
    byKind.set(reconciler.kind, reconciler);
  }
  return byKind;
}
