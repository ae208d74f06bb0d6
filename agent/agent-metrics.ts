import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/**
 * The agent's Prometheus metrics, served on `/metrics`. Labelled by Sync (`namespace.name`), which stays a small set:
 * one per applied path.
 */
export class AgentMetrics {
  readonly registry = new Registry();

  readonly reconcileDuration = new Histogram({
    name: 'tidemark_reconcile_duration_seconds',
    help: 'Time one reconcile took: fetch, render, apply, prune, health.',
    labelNames: ['sync', 'outcome'],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
    registers: [this.registry],
  });

  readonly objects = new Counter({
    name: 'tidemark_objects_total',
    help: 'Objects handled by reconciles, by what happened to them (created, configured, unchanged, deleted, skipped).',
    labelNames: ['sync', 'action'],
    registers: [this.registry],
  });

  readonly heals = new Counter({
    name: 'tidemark_heals_total',
    help: 'Objects re-applied because someone else changed a field Tidemark owns.',
    labelNames: ['sync'],
    registers: [this.registry],
  });

  readonly lastSuccess = new Gauge({
    name: 'tidemark_last_success_timestamp_seconds',
    help: 'Unix time of the last reconcile that applied its revision.',
    labelNames: ['sync'],
    registers: [this.registry],
  });

  readonly deploymentEvents = new Counter({
    name: 'tidemark_deployment_events_total',
    help: 'Deployment events given to the events queue (sent), or dropped because too many were waiting for it.',
    labelNames: ['outcome'],
    registers: [this.registry],
  });

  readonly deploymentEventsPending = new Gauge({
    name: 'tidemark_deployment_events_pending',
    help: 'Deployment events waiting for the events queue to take them.',
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'tidemark_agent_' });
  }
}
