import type { PromotionWindow, Weekday } from './promotion-file';

/** Whether a window is open at `now`, and when closed, when it next opens (within a week). */
export type WindowState = { open: true } | { open: false; opensAt?: Date };

const formatters = new Map<string, Intl.DateTimeFormat>();

/**
 * The local weekday and minute of the day at `at` in an IANA zone. The platform's time-zone data (Intl) does the
 * work, daylight saving time included; nothing here adds offsets by hand.
 */
export function localClock(at: Date, timeZone: string): { day: Weekday; minute: number } {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(timeZone, f);
  }
  const parts = Object.fromEntries(f.formatToParts(at).map((p) => [p.type, p.value]));
  return {
    day: String(parts.weekday).slice(0, 3).toLowerCase() as Weekday,
    minute: Number(parts.hour) * 60 + Number(parts.minute),
  };
}

/** Whether `at` falls inside the window. A window past midnight (`22:00-02:00`) belongs to the day it starts on. */
export function inWindow(window: PromotionWindow, at: Date): boolean {
  const { day, minute } = localClock(at, window.timeZone);
  const { startMinute: start, endMinute: end } = window;
  if (start < end) return window.days.includes(day) && minute >= start && minute < end;
  if (minute >= start) return window.days.includes(day);
  if (minute < end) return window.days.includes(previousDay(day));
  return false;
}

/**
 * The window at `now`: open, or closed with the first minute it opens again. Searched minute by minute (a week is
 * 10,080 formats, about 20 ms) because a zone's offset can change inside the gap; only done when the window is shut.
 */
export function windowState(window: PromotionWindow, now: Date): WindowState {
  if (inWindow(window, now)) return { open: true };
  const minute = 60_000;
  const first = Math.ceil((now.getTime() + 1) / minute) * minute;
  for (let t = first; t < first + 7 * 24 * 60 * minute; t += minute) {
    if (inWindow(window, new Date(t))) return { open: false, opensAt: new Date(t) };
  }
  return { open: false };
}

const order: Weekday[] = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
function previousDay(day: Weekday): Weekday {
  return order[(order.indexOf(day) + 6) % 7]!;
}
