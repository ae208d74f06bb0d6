import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { corpusDir } from '../../test/support/corpus';
import { chooseKustomizer, kustomize } from './kustomize';
import { renderFolder } from './render-folder';

const projectRoot = join(import.meta.dirname, '../..');
const corpus = corpusDir();

/**
 * The host build of the kustomize the drift scanner's layer carries. build.sh returns at once when it is cached
 * (local/bootstrap.sh builds it before the tests) and prints the arm64 path first, the host's last.
 */
let hostKustomize: string;
beforeAll(async () => {
  const { stdout } = await promisify(execFile)('bash', [join(projectRoot, 'infra/layers/kustomize/build.sh')]);
  hostKustomize = stdout.trim().split('\n').at(-1) as string;
}, 600_000);

describe('chooseKustomizer', () => {
  it('runs the kustomize binary named by TIDEMARK_KUSTOMIZE, as the drift scanner Lambda sets it', () => {
    expect(
      chooseKustomizer({}, { TIDEMARK_KUSTOMIZE: '/opt/bin/kustomize', TIDEMARK_KUBECTL: '/usr/bin/kubectl' }),
    ).toEqual({ kind: 'kustomize', binary: '/opt/bin/kustomize' });
  });

  it('runs kubectl when no kustomize binary is named: TIDEMARK_KUBECTL, else kubectl on the PATH', () => {
    expect(chooseKustomizer({}, { TIDEMARK_KUBECTL: '/usr/local/bin/kubectl' })).toEqual({
      kind: 'kubectl',
      binary: '/usr/local/bin/kubectl',
    });
    expect(chooseKustomizer({}, {})).toEqual({ kind: 'kubectl', binary: 'kubectl' });
  });

  it("lets the caller's choice win over the environment", () => {
    const env = { TIDEMARK_KUSTOMIZE: '/opt/bin/kustomize' };
    expect(chooseKustomizer({ kubectl: 'kubectl' }, env)).toEqual({ kind: 'kubectl', binary: 'kubectl' });
    expect(chooseKustomizer({ kustomize: '/tmp/kustomize', kubectl: 'kubectl' }, env)).toEqual({
      kind: 'kustomize',
      binary: '/tmp/kustomize',
    });
  });
});

describe('kustomize build renders what kubectl kustomize renders', () => {
  it('for the example config repo’s prod overlay', async () => {
    const dir = join(projectRoot, 'examples/config-repo/clusters/prod');
    const byKustomize = await renderFolder(dir, { kustomize: hostKustomize });
    expect(byKustomize.find((o) => o.kind === 'Deployment')?.metadata.namespace).toBe('shop-prod');
    expect(byKustomize).toEqual(await renderFolder(dir, { kubectl: 'kubectl' }));
  });

  it('for a corpus overlay with components, patches and image overrides (microservices-demo, Istio variant)', async () => {
    // Copied: the corpus is read-only, and the overlay reaches its base and components through ../../
    const copy = await mkdtemp(join(tmpdir(), 'kustomize-corpus-'));
    await cp(join(corpus, 'microservices-demo/kustomize'), copy, { recursive: true });
    const dir = join(copy, 'tests/service-mesh-istio-with-all-components');

    const byKustomize = await renderFolder(dir, { kustomize: hostKustomize });
    expect(byKustomize.length).toBeGreaterThan(50);
    expect(byKustomize.map((o) => o.kind)).toEqual(expect.arrayContaining(['VirtualService', 'NetworkPolicy']));
    expect(byKustomize).toEqual(await renderFolder(dir, { kubectl: 'kubectl' }));
  });

  it('for a corpus overlay that patches a base by target (flux2-kustomize-helm-example, production)', async () => {
    const copy = await mkdtemp(join(tmpdir(), 'kustomize-corpus-'));
    await cp(join(corpus, 'flux2-kustomize-helm-example/apps'), copy, { recursive: true });
    const dir = join(copy, 'production');

    const byKustomize = await renderFolder(dir, { kustomize: hostKustomize });
    expect(byKustomize.find((o) => o.kind === 'HelmRelease')?.spec).toMatchObject({ values: expect.anything() });
    expect(byKustomize).toEqual(await renderFolder(dir, { kubectl: 'kubectl' }));
  });
});

/** Runs `body` with these environment variables, as a Lambda would see them, and restores the worker's afterwards. */
async function withEnv(vars: Record<string, string | undefined>, body: () => Promise<void>): Promise<void> {
  const saved = Object.fromEntries(Object.keys(vars).map((name) => [name, process.env[name]]));
  const assign = (values: Record<string, string | undefined>) => {
    for (const [name, value] of Object.entries(values)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
  assign(vars);
  try {
    await body();
  } finally {
    assign(saved);
  }
}

describe('kustomize', () => {
  it('renders an overlay where there is no kubectl, as in the Lambda runtime, once TIDEMARK_KUSTOMIZE is set', async () => {
    const dir = join(projectRoot, 'examples/config-repo/clusters/prod');
    const noKubectl = await mkdtemp(join(tmpdir(), 'no-kubectl-'));
    await withEnv({ PATH: noKubectl, TIDEMARK_KUBECTL: undefined, TIDEMARK_KUSTOMIZE: undefined }, async () => {
      await expect(renderFolder(dir)).rejects.toThrow(
        "kustomization.yaml: needs kubectl to run kubectl kustomize, but 'kubectl' cannot be run (ENOENT). Install kubectl, or set TIDEMARK_KUSTOMIZE",
      );
    });
    await withEnv({ PATH: noKubectl, TIDEMARK_KUBECTL: undefined, TIDEMARK_KUSTOMIZE: hostKustomize }, async () => {
      const objects = await renderFolder(dir);
      expect(objects.find((o) => o.kind === 'Deployment')?.metadata.namespace).toBe('shop-prod');
    });
  });

  it('uses TIDEMARK_KUSTOMIZE when no binary is passed, as the Lambda does', async () => {
    const dir = join(projectRoot, 'examples/config-repo/clusters/prod');
    await withEnv({ TIDEMARK_KUSTOMIZE: '/nonexistent/kustomize' }, async () => {
      await expect(kustomize(dir, 'clusters/prod/kustomization.yaml')).rejects.toThrow(
        "clusters/prod/kustomization.yaml: needs kustomize to run kustomize build, but '/nonexistent/kustomize' cannot be run (ENOENT). Point TIDEMARK_KUSTOMIZE at a kustomize binary",
      );
    });
  });

  it("reports kustomize's own error, without its prefix, under the kustomization's path", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'render-'));
    await mkdir(join(dir, 'app'));
    await writeFile(join(dir, 'app/kustomization.yml'), 'resources: [missing.yaml]\n');
    await expect(renderFolder(dir, { kustomize: hostKustomize })).rejects.toThrow(
      /^app\/kustomization\.yml: kustomize build failed: accumulating resources: .*missing\.yaml.*\. Fix the kustomization$/s,
    );
  });

  it("reports kubectl's error as its message, not as the log line kubectl wraps it in", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'render-'));
    await mkdir(join(dir, 'app'));
    await writeFile(join(dir, 'app/kustomization.yaml'), 'resources: [missing.yaml]\n');
    await expect(renderFolder(dir, { kubectl: 'kubectl' })).rejects.toThrow(
      /^app\/kustomization\.yaml: kubectl kustomize failed: accumulating resources: .*missing\.yaml.*\. Fix the kustomization$/s,
    );
  });
});
