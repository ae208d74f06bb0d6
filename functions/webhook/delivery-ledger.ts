import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DynamoDBClient,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';

export type DeliveryClaim = { kind: 'first' } | { kind: 'seen-before' };

/**
 * The record of webhook deliveries already handled, in the State table (`id` = `webhook-delivery#<delivery id>`, TTL
 * attribute `expiration`). Claiming a delivery is a conditional write, so two concurrent redeliveries cannot both
 * pass; the TTL outlasts GitHub's redelivery window (deliveries of the past 3 days can be redelivered).
 */
export class DeliveryLedger {
  constructor(
    private readonly tableName: string,
    private readonly dynamodb: DynamoDBClient = new DynamoDBClient({}),
    private readonly retentionSeconds = 7 * 24 * 3600,
  ) {}

  /** Records the delivery unless it is already recorded. */
  async claim(deliveryId: string, revision: string, now: Date): Promise<DeliveryClaim> {
    try {
      await this.dynamodb.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: {
            id: { S: key(deliveryId) },
            revision: { S: revision },
            receivedAt: { S: now.toISOString() },
            expiration: { N: String(Math.floor(now.getTime() / 1000) + this.retentionSeconds) },
          },
          ConditionExpression: 'attribute_not_exists(id)',
        }),
      );
      return { kind: 'first' };
    } catch (e) {
      if (e instanceof ConditionalCheckFailedException) return { kind: 'seen-before' };
      throw e;
    }
  }

  /**
   * Forgets a claimed delivery whose sync requests could not be sent, so that GitHub's retry or a manual redelivery is
   * handled instead of being ignored as a duplicate.
   */
  async release(deliveryId: string): Promise<void> {
    await this.dynamodb.send(new DeleteItemCommand({ TableName: this.tableName, Key: { id: { S: key(deliveryId) } } }));
  }
}

function key(deliveryId: string): string {
  return `webhook-delivery#${deliveryId}`;
}
