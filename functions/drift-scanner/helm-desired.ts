import type { IgnoreRule } from '../../core/drift/ignore-rules';
import type { HelmSource } from '../../core/helm/chart-source';
import { fluxReleasesIn } from '../../core/helm/flux-helm-release';
import { generatedFieldsOf } from '../../core/helm/generated-fields';
import { groupOf, type KubeObject } from '../../core/sync/kube-object';
import type { Sync } from '../../core/sync/sync';
import { renderRelease } from '../../engine/render/render-release';
import type { DesiredState } from './desired-state';
import type { ScannedCluster } from './scan-cluster';

/**
 * What a Sync's Helm release should look like, for the drift scan: rendered with the agent's renderer and Helm version
 * (the Lambda layer's `/opt/bin/helm`), dry, as an install. Ignore rules leave out the
 * generated fields each object declares (`tidemark.dev/generated-fields`) and every field of the objects whose
 * templates call `lookup`, which are listed as unjudged instead of reported as drifted.
 */
export async function helmDesired(
  cluster: ScannedCluster,
  sync: Sync,
  helm: HelmSource,
  head: DesiredState,
  dir: string,
): Promise<{ objects: KubeObject[]; rules: IgnoreRule[]; unjudged: string[] }> {
  const rendered = await renderRelease(cluster, {
    sync: sync.ref,
    source: helm,
    repoRoot: head.dir,
    dir,
    // As an install, always: rendered without lookup, an upgrade of a chart that guards its generated passwords
    // (bitnami's "PASSWORDS ERROR") refuses to render at all; and `.Release.IsUpgrade` changes hooks, not objects.
    phase: 'install',
  });
  const target = (o: KubeObject) => ({
    group: groupOf(o.apiVersion),
    kind: o.kind,
    name: o.metadata.name,
    ...(o.metadata.namespace ? { namespace: o.metadata.namespace } : {}),
  });
  const rules: IgnoreRule[] = [];
  for (const object of rendered.objects) {
    const paths = generatedFieldsOf(object);
    if (paths.length > 0) rules.push({ paths, target: target(object) });
  }
  const unjudged = new Set(rendered.unjudgedObjects);
  for (const object of rendered.objects) {
    const subject = `${object.kind}/${object.metadata.namespace ? `${object.metadata.namespace}/` : ''}${object.metadata.name}`;
    if (unjudged.has(subject)) rules.push({ paths: [''], target: target(object) });
  }
  return {
    objects: rendered.objects,
    rules,
    unjudged: [...unjudged].map(
      (o) => `${o}: rendered by a template that calls lookup (${rendered.unjudgeable.join(', ')})`,
    ),
  };
}

/**
 * What a Sync with `spec.fluxHelmReleases` should look like: the folder's objects other than the Flux HelmReleases and
 * their sources, and each release rendered as {@link helmDesired} renders one (dry, as an install). A HelmRelease the
 * agent would refuse makes the render fail here too, with the same message.
 */
export async function fluxReleasesDesired(
  cluster: ScannedCluster,
  sync: Sync,
  head: DesiredState,
  dir: string,
): Promise<{ objects: KubeObject[]; rules: IgnoreRule[]; unjudged: string[] }> {
  const found = fluxReleasesIn(await head.render(dir));
  if (found.problems.length > 0) throw new Error(`${found.problems.join('; ')}. Nothing was applied`);
  const desired = { objects: [...found.rest], rules: [] as IgnoreRule[], unjudged: [] as string[] };
  for (const release of found.releases) {
    const one = await helmDesired(cluster, sync, release.source, head, dir);
    desired.objects.push(...one.objects);
    desired.rules.push(...one.rules);
    desired.unjudged.push(...one.unjudged);
  }
  return desired;
}
