/**
 * A chain of steps with their wall-clock times, and the latencies a user cares about between them: what
 * `tidemark demo` saw (push→commit, commit→applied, hand change→alert, …), and what `tidemark ui` shows for one
 * revision of a real cluster (push → commit → webhook → applied → healthy → notified). Pure, but for `record`'s default time.
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

/** A latency worth showing: its name and the two steps it spans. */
export interface LatencyPair {
  name: string;
  from: string;
  to: string;
}

export class Timeline {
  readonly events: TimelineEvent[] = [];

  /** @param pairs the latencies {@link latencies} reports, in order, when both of their steps happened. */
  constructor(private readonly pairs: readonly LatencyPair[]) {}

  /** `at` defaults to now for a caller that records steps as it sees them happen (the demo). */
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
    return this.pairs.map((p) => this.latency(p.name, p.from, p.to)).filter((l): l is Latency => l !== undefined);
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
