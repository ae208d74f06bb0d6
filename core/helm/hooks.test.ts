import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../sync/kube-object';
import { hookOf, isAwaitedHook, isHook, planHooks } from './hooks';

const object = (kind: string, name: string, annotations: Record<string, string>, apiVersion = 'v1'): KubeObject => ({
  apiVersion,
  kind,
  metadata: { name, annotations },
});

// The ingress-nginx admission-webhook hook set (templates/admission-webhooks/job-patch/), as the chart annotates it.
const both = 'pre-install,pre-upgrade,post-install,post-upgrade';
const policy = { 'helm.sh/hook-delete-policy': 'before-hook-creation,hook-succeeded' };
const ingressNginxHooks = [
  hookOf(
    object('Job', 'admission-patch', { 'helm.sh/hook': 'post-install,post-upgrade', ...policy }, 'batch/v1'),
    'job-patchWebhook.yaml',
  ),
  hookOf(
    object('Job', 'admission-create', { 'helm.sh/hook': 'pre-install,pre-upgrade', ...policy }, 'batch/v1'),
    'job-createSecret.yaml',
  ),
  hookOf(
    object('RoleBinding', 'admission', { 'helm.sh/hook': both, ...policy }, 'rbac.authorization.k8s.io/v1'),
    'rolebinding.yaml',
  ),
  hookOf(object('ServiceAccount', 'admission', { 'helm.sh/hook': both, ...policy }), 'serviceaccount.yaml'),
  hookOf(object('Role', 'admission', { 'helm.sh/hook': both, ...policy }, 'rbac.authorization.k8s.io/v1'), 'role.yaml'),
];

describe('planHooks', () => {
  it('runs pre-install hooks before the first apply of a release, in Helm kind order: ServiceAccount, Role, binding, Job', () => {
    const plan = planHooks(ingressNginxHooks, 'install');
    expect(plan.pre.map((h) => `${h.object.kind}/${h.object.metadata.name}`)).toEqual([
      'ServiceAccount/admission',
      'Role/admission',
      'RoleBinding/admission',
      'Job/admission-create',
    ]);
    expect(plan.post.map((h) => `${h.object.kind}/${h.object.metadata.name}`)).toEqual([
      'ServiceAccount/admission',
      'Role/admission',
      'RoleBinding/admission',
      'Job/admission-patch',
    ]);
  });

  it('runs only upgrade hooks on a later apply, and install hooks only on the first', () => {
    const installOnly = hookOf(object('Job', 'migrate-db', { 'helm.sh/hook': 'pre-install' }, 'batch/v1'), 'job.yaml');
    const upgradeOnly = hookOf(object('Job', 'backup', { 'helm.sh/hook': 'pre-upgrade' }, 'batch/v1'), 'job.yaml');
    expect(planHooks([installOnly, upgradeOnly], 'install').pre.map((h) => h.object.metadata.name)).toEqual([
      'migrate-db',
    ]);
    expect(planHooks([installOnly, upgradeOnly], 'upgrade').pre.map((h) => h.object.metadata.name)).toEqual(['backup']);
  });

  it('orders by hook-weight before kind, lightest first, and never runs test hooks', () => {
    const heavy = hookOf(object('ConfigMap', 'a', { 'helm.sh/hook': 'pre-install', 'helm.sh/hook-weight': '5' }), 't');
    const light = hookOf(
      object('Job', 'b', { 'helm.sh/hook': 'pre-install', 'helm.sh/hook-weight': '-5' }, 'batch/v1'),
      't',
    );
    // podinfo's test Pods use Helm 2's spelling test-success.
    const test = hookOf(
      object('Pod', 'podinfo-grpc-test-x7k2p', { 'helm.sh/hook': 'test-success' }),
      'tests/grpc.yaml',
    );
    const plan = planHooks([heavy, light, test], 'install');
    expect(plan.pre.map((h) => h.object.metadata.name)).toEqual(['b', 'a']);
    expect([...plan.pre, ...plan.post]).not.toContain(test);
    expect(planHooks([test], 'upgrade')).toEqual({ pre: [], post: [] });
  });

  it("reads Helm's default delete policy, before-hook-creation, when the chart gives none", () => {
    expect(hookOf(object('Job', 'j', { 'helm.sh/hook': 'pre-install' }, 'batch/v1'), 't').deletePolicies).toEqual([
      'before-hook-creation',
    ]);
    expect(ingressNginxHooks[0]?.deletePolicies).toEqual(['before-hook-creation', 'hook-succeeded']);
  });

  it('refuses a weight that is not an integer, naming the object and template', () => {
    expect(() =>
      hookOf(object('Job', 'j', { 'helm.sh/hook': 'pre-install', 'helm.sh/hook-weight': 'high' }), 'job.yaml'),
    ).toThrow("Job/j (job.yaml): helm.sh/hook-weight 'high' is not an integer. Fix the chart");
  });

  it('waits for Jobs and Pods, not for other kinds', () => {
    expect(isAwaitedHook(object('Job', 'j', {}, 'batch/v1'))).toBe(true);
    expect(isAwaitedHook(object('Pod', 'p', {}))).toBe(true);
    expect(isAwaitedHook(object('ServiceAccount', 's', {}))).toBe(false);
    expect(isHook(object('ConfigMap', 'c', {}))).toBe(false);
  });
});
