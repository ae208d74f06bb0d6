import { describe, expect, it } from 'vitest';
import type { AlertState } from './alert-state';
import { reportWith } from './alerts.fixtures';
import { decideAlerts, type ScanOutcome, undeliveredOf } from './decide-alerts';

const scanned = (n: number): ScanOutcome => ({ kind: 'scanned', report: reportWith(n) });
const failed: ScanOutcome = { kind: 'failed', cluster: 'prod', message: 'Unauthorized' };
const at = (minutes: number) => new Date(Date.parse('2026-11-25T11:00:00Z') + minutes * 60_000);

/** Runs scans in order, 15 minutes apart, and returns the kinds of alert each one sent. */
function run(outcomes: ScanOutcome[], renotifyHours = 24): string[][] {
  let state: AlertState | undefined;
  return outcomes.map((o, i) => {
    const { alerts, next } = decideAlerts(state, o, at(i * 15), renotifyHours);
    state = next;
    return alerts.map((a) => a.kind);
  });
}

describe('decideAlerts', () => {
  it('sends one alert for 100 scans of the same drift, then one resolved', () => {
    const sent = run([...Array.from({ length: 100 }, () => scanned(2)), scanned(0), scanned(0)], 1000);
    expect(sent.flat()).toEqual(['appeared', 'resolved']);
    expect(sent[0]).toEqual(['appeared']);
    expect(sent[100]).toEqual(['resolved']);
  });

  it('sends nothing for a cluster that stays in sync', () => {
    expect(run([scanned(0), scanned(0)]).flat()).toEqual([]);
  });

  it('announces a changed drift set', () => {
    expect(run([scanned(1), scanned(2), scanned(2)])).toEqual([['appeared'], ['changed'], []]);
  });

  it('re-announces an unchanged drift after the re-notify interval', () => {
    // Scans every 15 minutes, re-notify after 1 hour: scans 0 and 4 announce.
    expect(
      run(
        Array.from({ length: 6 }, () => scanned(1)),
        1,
      ),
    ).toEqual([['appeared'], [], [], [], ['renotify'], []]);
  });

  it('raises one scan-failing alert for many failed scans and one recovery, keeping the drift state', () => {
    const sent = run([scanned(1), failed, failed, failed, scanned(1), scanned(1)], 1000);
    expect(sent).toEqual([['appeared'], ['scan-failing'], [], [], ['recovered'], []]);
  });

  it('recovers and announces new drift in one scan', () => {
    expect(run([failed, scanned(3)])).toEqual([['scan-failing'], ['recovered', 'appeared']]);
  });

  it('says how many findings a resolved drift cleared', () => {
    const first = decideAlerts(undefined, scanned(3), at(0), 24);
    const { alerts } = decideAlerts(first.next, scanned(0), at(15), 24);
    expect(alerts).toMatchObject([{ kind: 'resolved', previousFindings: 3 }]);
  });

  describe('when a channel missed an alert', () => {
    const first = decideAlerts(undefined, scanned(2), at(0), 24);
    const missed = { ...first.next, undelivered: [undeliveredOf(first.alerts[0]!, ['slack'])] };

    it('sends it again to that channel alone while the drift is unchanged', () => {
      const again = decideAlerts(missed, scanned(2), at(15), 24);
      expect(again.alerts).toEqual([]);
      expect(again.redeliveries).toMatchObject([{ alert: { kind: 'appeared' }, channels: ['slack'] }]);
      expect(again.next.undelivered).toEqual([]);
    });

    it('drops it when the drift changed: the new alert goes to every channel instead', () => {
      const changed = decideAlerts(missed, scanned(3), at(15), 24);
      expect(changed.alerts.map((a) => a.kind)).toEqual(['changed']);
      expect(changed.redeliveries).toEqual([]);
    });

    it('drops a missed drift alert once the drift is resolved', () => {
      const resolved = decideAlerts(missed, scanned(0), at(15), 24);
      expect(resolved.alerts.map((a) => a.kind)).toEqual(['resolved']);
      expect(resolved.redeliveries).toEqual([]);
    });
  });
});
