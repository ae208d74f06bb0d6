import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { DeploymentEvent } from '../../core/notify/deployment-event';

/** `source` and `detail-type` of the events Tidemark puts on the default bus (functions/notifier/README.md). */
export const deploymentEventSource = 'tidemark';
export const deploymentDetailType = 'Tidemark Deployment';

/**
 * Puts each deployment transition on the account's default EventBridge bus as `Tidemark Deployment`, with the
 * deployment event as `detail`, so users' own rules can react (page on `failed` in `prod`, start a test suite on
 * `deployed`). EventBridge delivers at least once: a rule's target can drop repeats by `detail.id`.
 */
export class EventBridgeDeployments {
  constructor(
    private readonly client: EventBridgeClient = new EventBridgeClient({}),
    private readonly busName = 'default',
  ) {}

  async put(event: DeploymentEvent): Promise<void> {
    const out = await this.client.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: this.busName,
            Source: deploymentEventSource,
            DetailType: deploymentDetailType,
            Time: new Date(event.at),
            Detail: JSON.stringify(event),
          },
        ],
      }),
    );
    // PutEvents answers 200 and reports a refused entry in the body; that is a failure to retry, not a success.
    const refused = out.Entries?.find((e) => e.ErrorCode);
    if ((out.FailedEntryCount ?? 0) > 0 || refused) {
      throw new Error(`EventBridge refused the event: ${refused?.ErrorCode ?? ''} ${refused?.ErrorMessage ?? ''}`);
    }
  }
}
