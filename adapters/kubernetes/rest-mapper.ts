import { groupOf } from '../../core/sync/kube-object';

/** Where a kind lives in the API: its plural resource name and whether objects of it sit in a namespace. */
export interface ResourceMapping {
  group: string;
  version: string;
  /** Plural resource name, e.g. `deployments`. */
  resource: string;
  namespaced: boolean;
}

export interface ApiResourceList {
  resources: { name: string; kind: string; namespaced: boolean }[];
}

export class UnknownKindError extends Error {
  constructor(
    readonly apiVersion: string,
    readonly kind: string,
  ) {
    super(
      `${kind} is not served by the API server at ${apiVersion}. Install its CustomResourceDefinition first, or fix apiVersion/kind.`,
    );
    this.name = 'UnknownKindError';
  }
}

/**
 * Kind → resource mapping from the API server's discovery documents, cached per group/version. A miss refetches that
 * group/version once, because a CRD applied a moment ago in the same reconcile is not in the cache yet; after that a
 * miss is an error naming the kind.
 */
export class RestMapper {
  private readonly cache = new Map<string, Promise<ApiResourceList | undefined>>();

  constructor(private readonly fetchList: (path: string) => Promise<ApiResourceList | undefined>) {}

  async mappingFor(apiVersion: string, kind: string): Promise<ResourceMapping> {
    const found = (await this.lookup(apiVersion, kind, false)) ?? (await this.lookup(apiVersion, kind, true));
    if (found === undefined) throw new UnknownKindError(apiVersion, kind);
    return found;
  }

  /** Forget what was learnt, e.g. after CRDs were applied or deleted. */
  reset(): void {
    this.cache.clear();
  }

  private async lookup(apiVersion: string, kind: string, refresh: boolean): Promise<ResourceMapping | undefined> {
    if (refresh || !this.cache.has(apiVersion)) {
      const path = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
      const list = this.fetchList(path);
      this.cache.set(apiVersion, list);
      // A failed discovery request must not stay cached as a failure.
      list.catch(() => this.cache.delete(apiVersion));
    }
    const list = await this.cache.get(apiVersion);
    // Subresources (`deployments/scale`) share the kind of something else; only top-level resources map a kind.
    const resource = list?.resources.find((r) => r.kind === kind && !r.name.includes('/'));
    if (resource === undefined) return undefined;
    const slash = apiVersion.indexOf('/');
    return {
      group: groupOf(apiVersion),
      version: slash < 0 ? apiVersion : apiVersion.slice(slash + 1),
      resource: resource.name,
      namespaced: resource.namespaced,
    };
  }
}
