import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { agentBundleOptions } from './bundle-agent';
import { readImageContents } from './image-contents';

// agent/Dockerfile cannot be built here (no Docker engine); CI builds and runs the same image without Docker
// (agent-image.int.test.ts). These checks keep the two the same image: one list (contents.env), the same scripts.
const projectRoot = join(import.meta.dirname, '../..');
const dockerfile = readFileSync(join(projectRoot, 'agent/Dockerfile'), 'utf8');
const contents = readImageContents();

/** The instructions of the Dockerfile's last stage, continuation lines joined. */
function finalStage(): { instruction: string; args: string }[] {
  const lines = dockerfile.replace(/\\\n\s*/g, ' ').split('\n');
  const from = lines.findLastIndex((l) => /^FROM\s/i.test(l));
  return lines
    .slice(from)
    .filter((l) => l.trim() && !l.startsWith('#'))
    .map((l) => {
      const [instruction, ...rest] = l.trim().split(/\s+/);
      return { instruction: instruction!.toUpperCase(), args: rest.join(' ') };
    });
}

describe('agent/Dockerfile', () => {
  const stage = finalStage();
  const arg = (instruction: string) => stage.filter((i) => i.instruction === instruction).map((i) => i.args);

  it('sets the run-time configuration contents.env lists: user, workdir, env, port, entrypoint and command', () => {
    expect(arg('USER')).toEqual([contents.user]);
    expect(arg('WORKDIR')).toEqual([contents.workdir]);
    expect(arg('EXPOSE')).toEqual([String(contents.port)]);
    const env = Object.fromEntries(
      arg('ENV').flatMap((a) => a.split(/\s+/).map((kv) => kv.split('=') as [string, string])),
    );
    expect(env).toEqual(contents.env);
    expect(arg('ENTRYPOINT').map((a) => JSON.parse(a))).toEqual([contents.entrypoint]);
    expect(arg('CMD').map((a) => JSON.parse(a))).toEqual([contents.cmd]);
  });

  it('builds with the scripts the Docker-free build runs, so both read contents.env', () => {
    for (const script of ['build-tools.sh', 'bundle-agent.ts', 'fetch-node.sh', 'build-rootfs.sh --in-container']) {
      expect(dockerfile).toContain(`agent/image/${script}`.replace('agent/image/build-rootfs', '/image/build-rootfs'));
    }
    // The image is the three layers build-image.sh stacks: the Debian root, /usr/local/bin, /app.
    expect(arg('COPY')).toEqual(['--from=debian /rootfs/ /', '--from=runtime / /', '--from=bundle /out/app /app']);
    expect(stage[0]!.args).toBe('scratch');
  });

  it('copies into the bundle stage every folder the agent bundle is built from', async () => {
    const result = await build({ ...agentBundleOptions('/nonexistent'), write: false, metafile: true });
    const folders = new Set(
      Object.keys(result.metafile!.inputs)
        .filter((path) => !path.startsWith('node_modules/'))
        .map((path) => path.split('/')[0]!),
    );
    // Every source of a COPY from the build context (`COPY a b ./`, `COPY core ./core`).
    const copied = [...dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((m) => m[1]!.split(/\s+/));
    expect([...folders].filter((f) => !copied.includes(f))).toEqual([]);
  });
});

describe('agent/deploy', () => {
  it('runs the pod as the image user, with a read-only root and exactly the image writable paths mounted', () => {
    const text = readFileSync(join(projectRoot, 'agent/deploy/base/deployment.yaml'), 'utf8');
    const deployment = parseAllDocuments(text)[0]!.toJS();
    const pod = deployment.spec.template.spec;
    const [uid, gid] = contents.user.split(':').map(Number);
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: uid, runAsGroup: gid });
    const container = pod.containers[0];
    expect(container.securityContext.readOnlyRootFilesystem).toBe(true);
    expect(container.volumeMounts.map((m: { mountPath: string }) => m.mountPath).sort()).toEqual(
      [...contents.writable].sort(),
    );
    expect(container.ports).toEqual([{ name: 'http', containerPort: contents.port }]);
  });
});
