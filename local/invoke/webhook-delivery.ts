import { createHmac, randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { functionUrlRequest } from './function-url-request';

/**
 * A webhook delivery as GitHub or GitLab sends it to the Function URL, signed with `secret`: GitHub's headers
 * (`X-GitHub-Event`, `X-GitHub-Delivery`, `X-Hub-Signature-256` = HMAC-SHA256 of the exact body) or GitLab's
 * (`X-Gitlab-Event`, `X-Gitlab-Event-UUID`, `X-Gitlab-Token`). Used by the tests and by `tidemark demo`, which deliver
 * pushes to the handler in process the way the provider would over HTTPS.
 *
 * The signature is computed here with node:crypto, not with the library the handler verifies with, so a test that
 * passes does not just agree with itself.
 */
export function webhookDelivery(options: {
  provider?: 'github' | 'gitlab';
  event: string;
  payload: unknown;
  secret: string;
  deliveryId?: string;
  /** Send the body base64-encoded, as a Function URL does for content types it does not treat as text. */
  base64?: boolean;
}): APIGatewayProxyEventV2 {
  const body = JSON.stringify(options.payload);
  const deliveryId = options.deliveryId ?? randomUUID();
  const headers: Record<string, string> =
    options.provider === 'gitlab'
      ? {
          'content-type': 'application/json',
          'user-agent': 'GitLab/17.5.0',
          'x-gitlab-event': options.event,
          'x-gitlab-event-uuid': deliveryId,
          'x-gitlab-token': options.secret,
        }
      : {
          'content-type': 'application/json',
          'user-agent': 'GitHub-Hookshot/a1b2c3d',
          'x-github-event': options.event,
          'x-github-delivery': deliveryId,
          'x-github-hook-id': '123456789',
          'x-hub-signature-256': `sha256=${createHmac('sha256', options.secret).update(body).digest('hex')}`,
        };
  return functionUrlRequest({ headers, body, ...(options.base64 !== undefined && { base64: options.base64 }) });
}
