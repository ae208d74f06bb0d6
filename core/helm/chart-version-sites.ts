/**
 * The event-driven half of Helm charts: ECR emits the same `ECR Image Action` event for a pushed Helm chart as for an
 * image, and tells them apart only by the artifact's config media type. The image updater's planner moves a chart's
 * pinned `version:` like an image tag (core/images/chart-site.ts finds those sites), with the same byte-preserving,
 * never-downgrade commit.
 */
export const helmChartConfigMediaType = 'application/vnd.cncf.helm.config.v1+json';

/** What an ECR push event's detail says was pushed. */
export function pushedArtifact(detail: {
  'artifact-media-type'?: string;
  'manifest-media-type'?: string;
}): 'helm-chart' | 'image' {
  return detail['artifact-media-type'] === helmChartConfigMediaType ? 'helm-chart' : 'image';
}
