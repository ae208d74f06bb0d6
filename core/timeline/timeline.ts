/**
 * What `tidemark demo` saw, in order: each step with its wall-clock time, and the latencies a user cares about
 * (push→commit, commit→applied, hand change→alert, heal→resolved). Printed as text at the end, or as JSON with --json.
 */
export interface TimelineEvent {
  /** Stable id: `image-pushed`, `commit-made`, … */
  step: string;
  at: string;
  detail: string;
}

export interface Latency {
  name: string;
  from: string;
  to: string;
  milliseconds: number;
}

export class Timeline {
  readonly events: TimelineEvent[] = [];

  record(step: string, detail: string, at = new Date()): TimelineEvent {
    const event = { step, at: at.toISOString(), detail };
    this.events.push(event);
    return event;
  }

  private time(step: string): number | undefined {
    const e = this.events.find((x) => x.step === step);
    return e ? Date.parse(e.at) : undefined;
  }

  /** The latency between two recorded steps, or undefined when either did not happen. */
  latency(name: string, from: string, to: string): Latency | undefined {
    const a = this.time(from);
    const b = this.time(to);
    return a === undefined || b === undefined ? undefined : { name, from, to, milliseconds: b - a };
  }

  latencies(): Latency[] {
    return [
      this.latency('push → commit', 'image-pushed', 'commit-made'),
      this.latency('commit → applied', 'commit-made', 'rollout-applied'),
      this.latency('push → applied', 'image-pushed', 'rollout-applied'),
      this.latency('push → Ready (healthy)', 'image-pushed', 'rollout-ready'),
      this.latency('hand change → drift alert', 'hand-change', 'drift-alerted'),
      this.latency('self-heal on → healed', 'self-heal-enabled', 'drift-healed'),
      this.latency('healed → resolved alert', 'drift-healed', 'drift-resolved'),
      this.latency('commit → deployed message', 'commit-made', 'deployed-notified'),
      this.latency('broken commit → alert', 'broken-commit', 'failure-alerted'),
      this.latency('fix → recovered message', 'fix-commit', 'recovered-notified'),
      this.latency('fix → deployed message', 'fix-commit', 'fix-deployed'),
    ].filter((l): l is Latency => l !== undefined);
  }

  toJSON() {
    return { events: this.events, latencies: this.latencies() };
  }

  render(): string {
    const start = this.events[0] ? Date.parse(this.events[0].at) : 0;
    const lines = this.events.map((e) => {
      const offset = `+${((Date.parse(e.at) - start) / 1000).toFixed(2)}s`.padStart(9);
      return `${e.at.slice(11, 23)} ${offset}  ${e.step.padEnd(18)} ${e.detail}`;
    });
    const latencies = this.latencies().map((l) => `  ${l.name.padEnd(28)} ${(l.milliseconds / 1000).toFixed(2)} s`);
    return ['Timeline', ...lines, '', 'Latencies', ...latencies].join('\n');
  }
}
