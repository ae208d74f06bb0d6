import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';

/**
 * The `Context` Lambda passes to a handler, for invoking it in process. Powertools' logger reads the function name
 * and request id from it, and `processPartialResponse` stops early when `getRemainingTimeInMillis` runs out, so the
 * deadline is real: `timeoutMs` after the call.
 */
export function lambdaContext(functionName: string, options: { timeoutMs?: number; region?: string } = {}): Context {
  const region = options.region ?? process.env.AWS_REGION ?? 'us-east-1';
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  const unsupported = () => {
    throw new Error(`${functionName}: the callback-style context methods are not supported. Return a promise instead`);
  };
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:123456789012:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `local/[$LATEST]${randomUUID().replaceAll('-', '')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: unsupported,
    fail: unsupported,
    succeed: unsupported,
  };
}
