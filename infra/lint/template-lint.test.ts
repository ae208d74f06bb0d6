import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../tidemark-function';

/**
 * The synthesized template through the linters AWS users run: cfn-lint (does CloudFormation accept it?) and checkov
 * (security misconfigurations). Both come from PyPI into their own virtualenvs (install-python-tools.sh, idempotent;
 * the first run takes minutes) and run offline. The template comes from `npx cdk synth` as a user runs it: the real
 * cdk.json, no AWS credentials, and a Docker that cannot start, so a fallback to Docker bundling would fail.
 */
let template: string;
let synth: { code: number | null; output: string };
let tools: { cfnLint: string; checkov: string };

/** cfn-lint rules that do not apply, and why. */
const cfnLintIgnored = {
  // CDK adds an explicit DependsOn from each function to its role and policy, so the function is not created before
  // its permissions exist; cfn-lint notes that the GetAtt of the role already orders the role (not the policy).
  W3005: 'CDK orders a function after its role policy with DependsOn on purpose',
};

/** Every checkov check skipped somewhere in the stack; each resource carries the reason (see infra/checkov-skip.ts). */
const checkovSkipped = [
  'CKV_AWS_116',
  'CKV_AWS_117',
  'CKV_AWS_149',
  'CKV_AWS_158',
  'CKV_AWS_173',
  'CKV_AWS_258',
  'CKV_AWS_27',
];

beforeAll(() => {
  const installed = execFileSync('bash', [join(projectRoot, 'infra/lint/install-python-tools.sh')], {
    encoding: 'utf8',
  });
  const path = (name: string) => installed.match(new RegExp(`^${name}=(.+)$`, 'm'))![1]!;
  tools = { cfnLint: path('CFN_LINT'), checkov: path('CHECKOV') };

  const outdir = mkdtempSync(join(tmpdir(), 'tidemark-synth-'));
  const env: NodeJS.ProcessEnv = {
    PATH: `${dirname(process.execPath)}:${process.env.PATH}`,
    HOME: process.env.HOME,
    CDK_DOCKER: '/nonexistent/docker',
    AWS_EC2_METADATA_DISABLED: 'true',
  };
  const r = spawnSync(
    process.execPath,
    [join(projectRoot, 'node_modules/aws-cdk/bin/cdk'), 'synth', '--quiet', '--output', outdir],
    {
      cwd: projectRoot,
      env,
      encoding: 'utf8',
    },
  );
  synth = { code: r.status, output: `${r.stdout}${r.stderr}` };
  template = join(outdir, 'Tidemark.template.json');
}, 900_000);

describe('npx cdk synth', () => {
  it('succeeds with no AWS credentials and no Docker, bundling each function locally', () => {
    expect(synth.output).not.toMatch(/docker/i);
    expect(synth.code, synth.output).toBe(0);
    expect(existsSync(template)).toBe(true);
    const assets = readdirSync(dirname(template)).filter((f) => f.startsWith('asset.'));
    // One bundle per function (image updater, webhook, drift scanner, notifier, hydrator, promoter, and a reconciler
    // per folder of resources in the example: three), and the kustomize and Helm layers (infra/layers/), which the
    // drift scanner and the hydrator share.
    expect(assets).toHaveLength(11);
  });
});

describe('cfn-lint', () => {
  it('finds nothing in the template', () => {
    const r = spawnSync(
      tools.cfnLint,
      ['--format', 'json', '--ignore-checks', ...Object.keys(cfnLintIgnored), '--', template],
      {
        encoding: 'utf8',
      },
    );
    expect(JSON.parse(r.stdout)).toEqual([]);
    expect(r.status).toBe(0);
  });
});

describe('checkov', () => {
  function scan() {
    const r = spawnSync(
      tools.checkov,
      ['--file', template, '--framework', 'cloudformation', '--output', 'json', '--skip-download'],
      // --skip-download keeps it offline: no policy or metadata download from Prisma Cloud.
      {
        encoding: 'utf8',
        maxBuffer: 256 * 1024 * 1024,
        env: { ...process.env, BC_API_KEY: '', CHECKOV_NO_UPDATE_CHECK: 'true' },
      },
    );
    return JSON.parse(r.stdout) as {
      summary: { passed: number; failed: number; skipped: number };
      results: {
        failed_checks: { check_id: string; resource: string }[];
        skipped_checks: { check_id: string; check_result: { suppress_comment: string } }[];
      };
    };
  }

  it('fails no check, and every check it skips is one the stack explains on the resource', () => {
    const report = scan();
    expect(report.results.failed_checks.map((c) => `${c.check_id} on ${c.resource}`)).toEqual([]);
    expect(report.summary.passed).toBeGreaterThan(100);
    const skipped = report.results.skipped_checks;
    expect([...new Set(skipped.map((s) => s.check_id))].sort()).toEqual([...checkovSkipped].sort());
    for (const s of skipped) expect(s.check_result.suppress_comment.length, s.check_id).toBeGreaterThan(40);
  });
});
