import { describe, expect, it } from 'vitest';
import { parsePromotions } from './promotion-file';
import { inWindow, windowState } from './window';

function windowOf(window: string) {
  const text = `pipelines:\n  - name: w\n    stages:\n      - { name: a, cluster: a }\n      - name: b\n        cluster: b\n        policies: [p]\n        gates:\n          soak: 0s\n          window: ${window}\n`;
  return parsePromotions(text)[0]!.stages[1]!.gates!.window!;
}

describe('promotion windows', () => {
  const office = windowOf('{ days: [mon, tue, wed, thu, fri], hours: "09:00-17:00", timeZone: Europe/Berlin }');

  it('are read in the named zone, daylight saving time included (Intl, not offsets by hand)', () => {
    // Wednesday 2026-07-15: Berlin is UTC+2, so 09:00 local is 07:00Z.
    expect(inWindow(office, new Date('2026-07-15T06:59:00Z'))).toBe(false);
    expect(inWindow(office, new Date('2026-07-15T07:00:00Z'))).toBe(true);
    // Wednesday 2026-01-14: Berlin is UTC+1, so 07:00Z is 08:00 local, outside.
    expect(inWindow(office, new Date('2026-01-14T07:00:00Z'))).toBe(false);
    expect(inWindow(office, new Date('2026-01-14T15:59:00Z'))).toBe(true);
    expect(inWindow(office, new Date('2026-01-14T16:00:00Z'))).toBe(false);
  });

  it('say when they open next: after a Friday evening, Monday morning', () => {
    // Friday 2026-12-04 18:00 Berlin (UTC+1) → Monday 2026-12-07 09:00 Berlin = 08:00Z.
    expect(windowState(office, new Date('2026-12-04T17:00:00Z'))).toEqual({
      open: false,
      opensAt: new Date('2026-12-07T08:00:00Z'),
    });
    expect(windowState(office, new Date('2026-12-07T08:00:00Z'))).toEqual({ open: true });
  });

  it('may span midnight, belonging to the day they start on', () => {
    const night = windowOf('{ days: [sat], hours: "22:00-02:00", timeZone: UTC }');
    expect(inWindow(night, new Date('2026-12-05T23:30:00Z'))).toBe(true); // Saturday night
    expect(inWindow(night, new Date('2026-12-06T01:59:00Z'))).toBe(true); // early Sunday, still Saturday's window
    expect(inWindow(night, new Date('2026-12-06T23:30:00Z'))).toBe(false); // Sunday night
  });
});
