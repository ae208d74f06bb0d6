import { Sha256 } from '@aws-crypto/sha256-js';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentityProvider } from '@smithy/types';

/**
 * An EKS bearer token: what `aws eks get-token` prints. It is an STS `GetCallerIdentity` URL pre-signed with the
 * header `x-k8s-aws-id: <cluster name>`, base64url-encoded behind `k8s-aws-v1.`. The API server's authenticator calls
 * the URL and maps the caller's role to a Kubernetes identity (the scanner's EKS access entry). No secret is stored:
 * the Lambda's role credentials sign it, and nothing else can use it for another cluster.
 */
export interface EksToken {
  token: string;
  /** When to stop using it. EKS accepts a token for 15 minutes; we renew before 14. */
  expiresAt: Date;
}

/** EKS rejects tokens older than 15 minutes; one minute of margin covers clock skew and a request in flight. */
const tokenLifetimeMs = 13 * 60_000;

export interface EksTokenOptions {
  region: string;
  credentials?: AwsCredentialIdentityProvider;
  now?: () => Date;
}

/**
 * Signs EKS tokens per cluster and reuses each for 13 minutes, so a scan of many objects (or a warm Lambda's next
 * invocation) does not sign per request.
 *
 * @example
 * const tokens = new EksTokenSource({ region: 'eu-west-1' });
 * const { token } = await tokens.tokenFor('prod-cluster');
 */
export class EksTokenSource {
  private readonly cache = new Map<string, EksToken>();
  private readonly signer: SignatureV4;
  private readonly now: () => Date;

  constructor(private readonly options: EksTokenOptions) {
    this.signer = new SignatureV4({
      credentials: options.credentials ?? fromNodeProviderChain(),
      region: options.region,
      service: 'sts',
      sha256: Sha256,
    });
    this.now = options.now ?? (() => new Date());
  }

  async tokenFor(clusterName: string): Promise<EksToken> {
    const cached = this.cache.get(clusterName);
    if (cached && cached.expiresAt > this.now()) return cached;
    const url = await this.presignedUrl(clusterName);
    const token = { token: `k8s-aws-v1.${Buffer.from(url).toString('base64url')}`, expiresAt: this.expiry() };
    this.cache.set(clusterName, token);
    return token;
  }

  /** The pre-signed `GetCallerIdentity` URL inside the token (exposed so tests can call it). */
  async presignedUrl(clusterName: string): Promise<string> {
    // The regional endpoint: EKS verifies tokens against the STS endpoint of the cluster's region.
    const hostname = `sts.${this.options.region}.amazonaws.com`;
    const request = new HttpRequest({
      method: 'GET',
      protocol: 'https:',
      hostname,
      path: '/',
      query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
      headers: { host: hostname, 'x-k8s-aws-id': clusterName },
    });
    // 60 s is what aws-iam-authenticator and `aws eks get-token` sign with; EKS itself bounds the token to 15 min.
    const signed = await this.signer.presign(request, { expiresIn: 60, signingDate: this.now() });
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(signed.query ?? {})) {
      for (const v of Array.isArray(value) ? value : [value]) if (v !== null) query.append(key, v);
    }
    return `https://${hostname}/?${query}`;
  }

  private expiry(): Date {
    return new Date(this.now().getTime() + tokenLifetimeMs);
  }
}
