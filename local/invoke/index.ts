/**
 * Invoking Tidemark's Lambda handlers in process, on the code path they run in AWS: the builders return the exact
 * event shapes AWS delivers (checked against Powertools' parser schemas in `invoke.test.ts`), and `runQueueOnce`
 * plays the SQS event source mapping against a real (moto) queue, partial batch failures included. Used by the
 * integration tests and by `tidemark demo`.
 *
 * | export | the event |
 * | --- | --- |
 * | `functionUrlRequest` | an HTTP request to a Lambda Function URL (payload format 2.0) |
 * | `sqsEvent`, `sqsRecordFromMessage` | SQS records, standard or FIFO |
 * | `ecrImageAction` | EventBridge `ECR Image Action` (the body of the image updater's SQS records) |
 * | `scheduledEvent` | an EventBridge rule's or Scheduler's `Scheduled Event` |
 * | `lambdaContext` | the handler's `Context` |
 * | `runQueueOnce`, `drainQueue` | receive → invoke → delete what succeeded |
 * | `webhookDelivery` | a GitHub or GitLab webhook delivery to a Function URL, signed |
 * | `githubPush` | the GitHub push payload for a real commit on the local git server |
 * | `createScratchQueue` | a queue with a dead-letter queue for one test or demo run |
 * | `loadHandler` | a handler imported as Lambda loads it, its log and EMF metric lines going to a log file |
 */
export {
  type EcrImageActionDetail,
  type EcrImageActionInput,
  ecrImageAction,
  scheduledEvent,
} from './eventbridge-event';
export { functionUrlRequest, type HttpRequest } from './function-url-request';
export { githubPush } from './github-push';
export { lambdaContext } from './lambda-context';
export { type FunctionName, type LoadedHandler, loadHandler, withOutputTo } from './load-handler';
export { drainQueue, type QueueRun, type RunQueueOptions, runQueueOnce, type SqsHandler } from './run-queue';
export { createScratchQueue, type ScratchQueue } from './scratch-queue';
export { type QueuedMessage, sqsEvent, sqsRecordFromMessage } from './sqs-event';
export { webhookDelivery } from './webhook-delivery';
