import type { KubeObject } from '../../core/sync/kube-object';
import { describeObject, type ObjectRef, refOf } from '../../core/sync/object-id';
import { fieldManager } from '../../core/sync/ownership';
import type { JsonPatchOperation } from '../../core/sync/take-over-fields';
import { ApiTransport, type ApiTransportOptions, type RequestSubject } from './api-transport';
import { KubeApiError } from './kube-api-error';
import { type Credentials, credentialsFromKubeconfig, credentialsFromToken, impersonating } from './kube-credentials';
import { type ApiResourceList, type ResourceMapping, RestMapper } from './rest-mapper';

export interface ApplyOptions {
  /** Ask the API server what the apply would do (`dryRun=All`) without persisting anything. */
  dryRun?: boolean;
  /** Take conflicting fields from other managers (what GitOps means: Git wins). Default true. */
  force?: boolean;
  /** Field manager; default `tidemark`. */
  manager?: string;
}

export interface ListOptions {
  /** Limit to one namespace; all namespaces when absent. */
  namespace?: string;
  labelSelector?: string;
  /** `metadata.name=web-values`: one object by name, without listing or watching its neighbours. */
  fieldSelector?: string;
}

export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: KubeObject;
}

export type ClusterClientOptions = ApiTransportOptions;

/**
 * A small Kubernetes client for untyped objects: discovery (kind → resource), server-side apply (and its dry-run, the
 * drift oracle), GET, LIST by label, DELETE, patches and watches.
 *
 * Credentials come from a kubeconfig, the pod's ServiceAccount or a token (kube-credentials.ts; exec plugins through
 * @kubernetes/client-node). Requests are plain JSON over node:https rather than through client-node's generated
 * `KubernetesObjectApi`, because that class re-serialises objects through typed models (which drops unknown fields of
 * custom resources and rewrites dates), has no watch or JSON-patch path, and loads ~100 MB of generated code.
 *
 * @example
 * const cluster = ClusterClient.fromKubeconfig(process.env.KUBECONFIG);
 * const live = await cluster.apply(manifest);                      // field manager `tidemark`, conflicts forced
 * const wouldBe = await cluster.apply(manifest, { dryRun: true });  // what the API server would make of it
 */
export class ClusterClient {
  readonly mapper: RestMapper;
  private readonly transport: ApiTransport;

  /** Also handed to Helm (as a kubeconfig) so that `lookup` reads the cluster with the same identity. */
  constructor(
    readonly credentials: Credentials,
    private readonly options: ClusterClientOptions = {},
  ) {
    this.transport = new ApiTransport(credentials, options);
    this.mapper = new RestMapper((path) =>
      this.request<ApiResourceList>('GET', path).catch((error: unknown) => {
        // A group/version the API server does not serve at all (no CRD defines it yet) is an unknown kind, which
        // callers handle (UnknownKindError), not a failed request.
        if (error instanceof KubeApiError && error.code === 404) return undefined;
        throw error;
      }),
    );
  }

  /** From a kubeconfig file, or the default chain ($KUBECONFIG, ~/.kube/config, in-cluster) when no path is given. */
  static fromKubeconfig(path?: string, options?: ClusterClientOptions): ClusterClient {
    return new ClusterClient(credentialsFromKubeconfig(path), options);
  }

  /**
   * From an API server URL, its CA (base64 PEM, as EKS DescribeCluster returns it) and a bearer token, e.g. the EKS
   * token the drift scanner signs with STS.
   */
  static fromToken(
    access: { server: string; certificateAuthorityData?: string; token: string },
    options?: ClusterClientOptions,
  ): ClusterClient {
    return new ClusterClient(credentialsFromToken(access), options);
  }

  /**
   * A client that acts as the ServiceAccount `namespace/name` (impersonation): what a tenant's Sync applies is
   * authorized as the tenant, not as the agent. Its own connection pool and discovery cache; `close()` it when done.
   */
  asServiceAccount(namespace: string, name: string): ClusterClient {
    return new ClusterClient(
      impersonating(this.credentials, `system:serviceaccount:${namespace}:${name}`),
      this.options,
    );
  }

  /** The URL path of a collection or of one object. */
  async pathFor(ref: Omit<ObjectRef, 'name'> & { name?: string }, mapping?: ResourceMapping): Promise<string> {
    const m = mapping ?? (await this.mapper.mappingFor(ref.apiVersion, ref.kind));
    const base = m.group === '' ? `/api/${m.version}` : `/apis/${m.group}/${m.version}`;
    const namespace = m.namespaced && ref.namespace ? `/namespaces/${encodeURIComponent(ref.namespace)}` : '';
    const name = ref.name === undefined ? '' : `/${encodeURIComponent(ref.name)}`;
    return `${base}${namespace}/${m.resource}${name}`;
  }

  /** Whether objects of a kind live in namespaces. */
  async isNamespaced(apiVersion: string, kind: string): Promise<boolean> {
    return (await this.mapper.mappingFor(apiVersion, kind)).namespaced;
  }

  /**
   * Server-side apply. Returns the object as the API server stored it (or would store it, with `dryRun`).
   * @throws KubeApiError with a message naming the object and the fix, e.g. for an immutable field.
   */
  async apply(object: KubeObject, options: ApplyOptions = {}): Promise<KubeObject> {
    return (await this.applyReporting(object, options)).object;
  }

  /** Server-side apply that also says whether the object was created by it (HTTP 201) rather than updated. */
  async applyReporting(
    object: KubeObject,
    options: ApplyOptions = {},
  ): Promise<{ object: KubeObject; created: boolean }> {
    const query = new URLSearchParams({ fieldManager: options.manager ?? fieldManager });
    if (options.force ?? true) query.set('force', 'true');
    if (options.dryRun) query.set('dryRun', 'All');
    const path = await this.pathFor(refOf(object));
    const { status, body } = await this.transport.exchange<KubeObject>('PATCH', `${path}?${query}`, {
      body: object,
      contentType: 'application/apply-patch+yaml',
      subject: describeObject(refOf(object)),
      verb: options.dryRun ? 'dry-run apply' : 'apply',
    });
    return { object: body, created: status === 201 };
  }

  /** The live object, or undefined when it does not exist. */
  async get(ref: ObjectRef): Promise<KubeObject | undefined> {
    try {
      return await this.request<KubeObject>('GET', await this.pathFor(ref), {
        subject: describeObject(ref),
        verb: 'get',
      });
    } catch (error) {
      if (error instanceof KubeApiError && error.isNotFound) return undefined;
      throw error;
    }
  }

  /** Every object of a kind matching the options, following `continue` pages of 500. */
  async list(apiVersion: string, kind: string, options: ListOptions = {}): Promise<KubeObject[]> {
    const path = await this.pathFor({ apiVersion, kind, namespace: options.namespace });
    const items: KubeObject[] = [];
    let continueToken: string | undefined;
    do {
      const query = new URLSearchParams({ limit: '500' });
      if (options.labelSelector) query.set('labelSelector', options.labelSelector);
      if (options.fieldSelector) query.set('fieldSelector', options.fieldSelector);
      if (continueToken) query.set('continue', continueToken);
      const page = await this.request<{ items: KubeObject[]; metadata: { continue?: string } }>(
        'GET',
        `${path}?${query}`,
        { subject: kind, verb: 'list' },
      );
      // LIST items carry no apiVersion/kind; put them back so each item is a complete object.
      for (const item of page.items) items.push({ ...item, apiVersion, kind });
      continueToken = page.metadata.continue || undefined;
    } while (continueToken);
    return items;
  }

  /**
   * Deletes an object with background propagation (its dependents are collected by the garbage collector).
   * Returns 'gone' when it did not exist.
   */
  async delete(ref: ObjectRef): Promise<'deleted' | 'gone'> {
    try {
      await this.request('DELETE', await this.pathFor(ref), {
        body: { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background' },
        subject: describeObject(ref),
        verb: 'delete',
      });
      return 'deleted';
    } catch (error) {
      if (error instanceof KubeApiError && error.isNotFound) return 'gone';
      throw error;
    }
  }

  async jsonPatch(ref: ObjectRef, patch: JsonPatchOperation[]): Promise<KubeObject> {
    return this.request<KubeObject>('PATCH', await this.pathFor(ref), {
      body: patch,
      contentType: 'application/json-patch+json',
      subject: describeObject(ref),
      verb: 'patch',
    });
  }

  /** A JSON merge patch, on the object or on a subresource such as `status`. */
  async mergePatch(ref: ObjectRef, patch: unknown, subresource?: string): Promise<KubeObject> {
    const path = (await this.pathFor(ref)) + (subresource ? `/${subresource}` : '');
    return this.request<KubeObject>('PATCH', path, {
      body: patch,
      contentType: 'application/merge-patch+json',
      subject: describeObject(ref),
      verb: subresource ? `${subresource} update` : 'patch',
    });
  }

  /**
   * Creates an object (POST). Used for Events and Leases, which are written rather than applied.
   */
  async create(object: KubeObject): Promise<KubeObject> {
    const { name, ...rest } = refOf(object);
    return this.request<KubeObject>('POST', await this.pathFor(rest), {
      body: object,
      subject: describeObject(refOf(object)),
      verb: 'create',
    });
  }

  /** Replaces an object (PUT), guarded by the resourceVersion it carries. */
  async replace(object: KubeObject): Promise<KubeObject> {
    return this.request<KubeObject>('PUT', await this.pathFor(refOf(object)), {
      body: object,
      subject: describeObject(refOf(object)),
      verb: 'update',
    });
  }

  /**
   * Watches a kind (all namespaces unless given) and calls `onEvent` for each change, until `signal` aborts or the
   * server ends the watch (it does after a few minutes); the promise then resolves with the last resourceVersion
   * seen, to resume from.
   */
  async watch(
    apiVersion: string,
    kind: string,
    options: ListOptions & { resourceVersion?: string; signal?: AbortSignal },
    onEvent: (event: WatchEvent) => void,
  ): Promise<string | undefined> {
    const path = await this.pathFor({ apiVersion, kind, namespace: options.namespace });
    const query = new URLSearchParams({ watch: '1', allowWatchBookmarks: 'true' });
    if (options.labelSelector) query.set('labelSelector', options.labelSelector);
    if (options.fieldSelector) query.set('fieldSelector', options.fieldSelector);
    if (options.resourceVersion) query.set('resourceVersion', options.resourceVersion);
    const response = await this.transport.stream(`${path}?${query}`, kind, options.signal);
    let resourceVersion = options.resourceVersion;
    let buffered = '';
    response.setEncoding('utf8');
    try {
      for await (const chunk of response) {
        buffered += chunk;
        let newline = buffered.indexOf('\n');
        while (newline >= 0) {
          const line = buffered.slice(0, newline);
          buffered = buffered.slice(newline + 1);
          newline = buffered.indexOf('\n');
          if (!line.trim()) continue;
          const event = JSON.parse(line) as WatchEvent;
          if (event.type === 'ERROR') return undefined; // e.g. 410 Gone: the caller relists.
          resourceVersion = event.object.metadata?.resourceVersion ?? resourceVersion;
          if (event.type !== 'BOOKMARK') onEvent({ ...event, object: { ...event.object, apiVersion, kind } });
        }
      }
    } catch (error) {
      if (!options.signal?.aborted) throw error;
    }
    return resourceVersion;
  }

  /** One JSON request to the API server; errors become KubeApiError naming `subject`. */
  async request<T>(method: string, path: string, options: RequestSubject = {}): Promise<T> {
    return (await this.transport.exchange<T>(method, path, options)).body;
  }

  /** A non-JSON GET, such as the API server's Prometheus `/metrics`. */
  getText(path: string): Promise<string> {
    return this.transport.getText(path);
  }

  /** Requests sent so far, by method. */
  get requestCounts(): ReadonlyMap<string, number> {
    return this.transport.requestCounts;
  }

  /** Closes idle keep-alive connections so the process can exit. */
  close(): void {
    this.transport.close();
  }
}
