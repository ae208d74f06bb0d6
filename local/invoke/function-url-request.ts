import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';

export interface HttpRequest {
  method?: string;
  /** Path with an optional query string, as the client sent it: `/`, `/hook?x=1`. */
  path?: string;
  /** Header names in any case; Function URLs deliver them lower-cased. */
  headers?: Record<string, string>;
  /** The raw body bytes (a string is taken as UTF-8). */
  body?: string | Uint8Array;
  /**
   * Whether Lambda base64-encodes the body. Function URLs do so for content types they do not treat as text;
   * by default this follows the `content-type` header the same way, and a test may force either form.
   */
  base64?: boolean;
  sourceIp?: string;
}

/** Content types a Function URL passes through as text (everything else arrives base64-encoded). */
const textContentTypes = /^(text\/|application\/(json|x-www-form-urlencoded|xml|javascript)|[^;]*\+(json|xml))/i;

/**
 * The event a Lambda Function URL delivers for an HTTP request (payload format 2.0): lower-cased headers, the raw query
 * string, `requestContext.http`, and the body as text or base64. Build one to invoke a handler in process on the same
 * code path as behind the real URL.
 *
 * @example
 * const event = functionUrlRequest({ headers: { 'X-GitHub-Event': 'ping', 'content-type': 'application/json' }, body: '{}' });
 * const response = await handler(event, lambdaContext('webhook'));
 */
export function functionUrlRequest(request: HttpRequest = {}): APIGatewayProxyEventV2 {
  const method = (request.method ?? 'POST').toUpperCase();
  const [rawPath = '/', rawQueryString = ''] = (request.path ?? '/').split(/\?(.*)/s);
  const headers: Record<string, string> = {
    host: 'abcdefghijklmnopqrstuvwxyz012345.lambda-url.us-east-1.on.aws',
    'x-forwarded-proto': 'https',
    'x-forwarded-port': '443',
    'x-forwarded-for': request.sourceIp ?? '127.0.0.1',
    'x-amzn-trace-id': `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${randomUUID().replaceAll('-', '').slice(0, 24)}`,
  };
  for (const [name, value] of Object.entries(request.headers ?? {})) headers[name.toLowerCase()] = value;
  const bytes =
    request.body === undefined
      ? undefined
      : typeof request.body === 'string'
        ? Buffer.from(request.body, 'utf8')
        : Buffer.from(request.body);
  const base64 = request.base64 ?? !textContentTypes.test(headers['content-type'] ?? '');
  const now = new Date();
  const queryStringParameters = rawQueryString ? Object.fromEntries(new URLSearchParams(rawQueryString)) : undefined;
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath,
    rawQueryString,
    headers,
    ...(queryStringParameters && { queryStringParameters }),
    requestContext: {
      accountId: 'anonymous',
      apiId: 'abcdefghijklmnopqrstuvwxyz012345',
      domainName: headers.host!,
      domainPrefix: 'abcdefghijklmnopqrstuvwxyz012345',
      http: {
        method,
        path: rawPath,
        protocol: 'HTTP/1.1',
        sourceIp: request.sourceIp ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time: accessLogTime(now),
      timeEpoch: now.getTime(),
    },
    ...(bytes && { body: bytes.toString(base64 ? 'base64' : 'utf8') }),
    isBase64Encoded: bytes ? base64 : false,
  };
}

/** `05/Aug/2022:08:14:39 +0000`, the format of `requestContext.time`. */
function accessLogTime(d: Date): string {
  const month = d.toLocaleString('en-US', { month: 'short', timeZone: 'UTC' });
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(d.getUTCDate())}/${month}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`;
}
