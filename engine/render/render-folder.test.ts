import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderFolder } from './render-folder';

const examples = join(import.meta.dirname, '../../examples/config-repo/clusters');

describe('renderFolder', () => {
  it('reads a folder of plain YAML recursively', async () => {
    const objects = await renderFolder(join(examples, 'dev'));
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toContain('Deployment/web');
  });

  it('builds a folder with a kustomization.yaml with kubectl kustomize', async () => {
    const objects = await renderFolder(join(examples, 'prod'));
    const web = objects.find((o) => o.kind === 'Deployment');
    expect(web?.metadata.namespace).toBe('shop-prod');
    expect(web?.spec).toMatchObject({ replicas: 3 });
  });

  it("reports kustomize's error with the kustomization's path", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'render-'));
    await mkdir(join(dir, 'app'));
    await writeFile(join(dir, 'app/kustomization.yaml'), 'resources: [missing.yaml]\n');
    await expect(renderFolder(dir)).rejects.toThrow(
      /^app\/kustomization\.yaml: kubectl kustomize failed: .*missing\.yaml/,
    );
  });

  it('names the file and document of a broken manifest', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'render-'));
    await writeFile(join(dir, 'ok.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n');
    await writeFile(
      join(dir, 'bad.yaml'),
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n---\nmetadata: {name: c}\n',
    );
    await expect(renderFolder(dir)).rejects.toThrow('bad.yaml (document 1): has no apiVersion');
  });

  it('says the path is wrong when the folder does not exist', async () => {
    await expect(renderFolder('/nonexistent/tidemark')).rejects.toThrow(
      /^\.: cannot be read \(ENOENT\)\. Check the Sync's path/,
    );
  });
});
