import { execFile } from 'node:child_process';
import { createVerify, generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { gitServer } from '../../local/git-server';
import { lambdaContext, scheduledEvent } from '../../local/invoke';
import { localGitAuthHeader } from '../../local/local-git';
import { uniqueName } from '../../test/support/local-env';

// Issue 11, bug 3: the config-repo secret of a GitHub App ({appId, privateKey, installationId}) worked for the image
// updater and failed the drift scanner, which parsed the secret by hand and wanted `token`. Here a GitHub Enterprise
// Server stands on loopback as one host, the way GHES serves it: git's own smart-HTTP backend (the real one, accepting
// only the installation token as the password of `x-access-token`) and, under /api/v3, GitHub's REST API. GitHub's API
// has no emulator, so its one call here (create an installation access token) answers with the example response of
// docs.github.com/rest/apps/apps#create-an-installation-access-token-for-an-app, after checking the app's JWT.

describe('drift scanner with a GitHub App secret', () => {
  const installationToken = `ghs_${randomBytes(18).toString('hex')}`;
  const appId = 1234;
  const installationId = 42;
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  const tokensMinted: string[] = [];
  let server: Server;
  let root: string;
  let head: string;

  /** The app's JWT (RS256, issuer = app id), checked as GitHub checks it before minting. */
  const validAppJwt = (authorization: string | undefined) => {
    const [header, payload, signature] = (authorization ?? '').replace(/^bearer /i, '').split('.');
    if (!header || !payload || !signature) return false;
    const signed = createVerify('RSA-SHA256').update(`${header}.${payload}`).verify(publicKey, signature, 'base64url');
    return signed && String(JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')).iss) === String(appId);
  };

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'tidemark-ghes-'));
    const git = gitServer({ root, username: 'x-access-token', password: installationToken });
    server = createServer((req, res) => {
      if (req.url === `/api/v3/app/installations/${installationId}/access_tokens` && req.method === 'POST') {
        if (!validAppJwt(req.headers.authorization)) return void res.writeHead(401).end('{"message":"Bad JWT"}');
        tokensMinted.push(installationToken);
        return void res.writeHead(201, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            token: installationToken,
            expires_at: new Date(Date.now() + 3600_000).toISOString(),
            permissions: { contents: 'read' },
            repository_selection: 'selected',
          }),
        );
      }
      git.emit('request', req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const credentials = { username: 'x-access-token', password: installationToken };
    const name = uniqueName('ghes-config');
    const created = await fetch(`${origin}/_admin/repos/${name}`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`x-access-token:${installationToken}`).toString('base64')}` },
    });
    expect(created.status).toBe(201);
    const work = mkdtempSync(join(tmpdir(), 'tidemark-ghes-work-'));
    // Asynchronously: the git server answers from this very process, which a synchronous git would block.
    const run = async (...args: string[]) =>
      (
        await promisify(execFile)('git', ['-c', 'user.name=Test', '-c', 'user.email=test@localhost', ...args], {
          cwd: work,
          env: {
            ...process.env,
            GIT_CONFIG_COUNT: '1',
            GIT_CONFIG_KEY_0: 'http.extraHeader',
            GIT_CONFIG_VALUE_0: `Authorization: ${localGitAuthHeader(credentials)}`,
          },
        })
      ).stdout.trim();
    await run('init', '--quiet', '--initial-branch=main');
    mkdirSync(join(work, 'clusters/app'), { recursive: true });
    writeFileSync(
      join(work, 'clusters/app/settings.yaml'),
      'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: settings, namespace: default }\ndata: { color: blue }\n',
    );
    await run('add', '.');
    await run('commit', '--quiet', '-m', 'first');
    await run('push', '--quiet', `${origin}/${name}.git`, 'main');
    head = await run('rev-parse', 'HEAD');
    rmSync(work, { recursive: true, force: true });

    const secretName = `tidemark-test/github-app-${randomBytes(4).toString('hex')}`;
    await new SecretsManagerClient({}).send(
      new CreateSecretCommand({
        Name: secretName,
        SecretString: JSON.stringify({ appId, privateKey, installationId }),
      }),
    );
    vi.stubEnv(
      'TIDEMARK_CONFIG',
      JSON.stringify({
        configRepo: { provider: 'github', url: `${origin}/${name}.git`, branch: 'main', authSecretName: secretName },
        clusters: [{ name: uniqueName('app'), eksClusterName: 'local', region: 'us-east-1', path: 'clusters/app' }],
        images: { ecrRepositories: ['web'] },
      }),
    );
    vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'ERROR');
    vi.resetModules();
  });

  afterAll(async () => {
    vi.unstubAllEnvs();
    await new Promise((resolve) => server?.close(resolve));
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('reads the config repo over git with the installation token the app key mints', async () => {
    const { handler } = await import('./handler');
    const { clusters } = await handler(
      scheduledEvent('arn:aws:scheduler:us-east-1:123456789012:schedule/default/drift'),
      lambdaContext('drift-scanner'),
    );
    expect(clusters[0]?.outcome, JSON.stringify(clusters[0]?.outcome)).toMatchObject({
      kind: 'scanned',
      report: { revision: head, objectsScanned: 1 },
    });
    expect(tokensMinted).toEqual([installationToken]);
  });
});
