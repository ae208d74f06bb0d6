/**
 * At most `limit` pieces of work at once; the rest wait in order of arrival. The agent keeps two: fetches (git
 * processes, bounded so a hundred Syncs starting at once do not fork a hundred) and applies (the API server's load).
 * A slow git server holds only a fetch slot, never an apply slot.
 */
export class Slots {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly limit: number) {}

  /** Runs `work` once a slot is free, and frees it when `work` settles. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.running >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.running++;
    try {
      return await work();
    } finally {
      this.running--;
      this.waiting.shift()?.();
    }
  }
}
