// Times and durations as the Runs table and the CLI write them.
import { describe, expect, it } from 'vitest';
import { duration, formatSeconds, startedAt } from '../../shared/format';

describe('run times', () => {
  const now = new Date(2026, 11, 8, 15, 0); // local time, as the table shows it
  it('writes a start as its time today, with the day this year, and with the year before', () => {
    expect(startedAt(new Date(2026, 11, 8, 9, 5).toISOString(), now)).toBe('09:05');
    expect(startedAt(new Date(2026, 11, 7, 23, 59).toISOString(), now)).toBe('Dec 7, 23:59');
    expect(startedAt(new Date(2025, 0, 2, 7, 0).toISOString(), now)).toBe('Jan 2, 2025, 07:00');
    expect(startedAt(null, now)).toBe('—');
  });
  it('writes a duration to now while the run goes on', () => {
    expect(duration('2026-01-01T00:00:00Z', '2026-01-01T00:01:05Z')).toBe('1m 5s');
    expect(duration('2026-01-01T00:00:00Z', null, Date.parse('2026-01-01T01:06:40Z'))).toBe('1h 6m');
    expect(formatSeconds(59.4)).toBe('59s');
  });
});
