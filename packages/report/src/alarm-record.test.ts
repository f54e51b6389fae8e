import { describe, expect, it } from 'vitest';
import { normalizeAlarmRecord, orderAlarmRecords, type AlarmRecord } from './alarm-record';

describe('normalizeAlarmRecord', () => {
  it('reads an alarm line as the trainer writes it, non-finite numbers as strings included', () => {
    expect(
      normalizeAlarmRecord(
        {
          kind: 'alarm',
          time: '2026-12-07T20:55:00.000Z',
          step: 61,
          alarm: 'reward-collapse',
          message: 'reward 0.064 is 0.096 below its best 0.16',
          value: 0.064,
          threshold: 0.08,
        },
        7,
      ),
    ).toEqual({
      ok: true,
      record: {
        line: 7,
        step: 61,
        alarm: 'reward-collapse',
        message: 'reward 0.064 is 0.096 below its best 0.16',
        value: 0.064,
        threshold: 0.08,
      },
    });
    const nan = normalizeAlarmRecord(
      { kind: 'alarm', step: 3, alarm: 'grad-norm-spike', value: 'NaN', threshold: 1 },
      2,
    );
    expect(nan.ok && nan.record.value).toBeNaN();
    expect(nan.ok && nan.record.message).toBe('grad-norm-spike');
  });

  it('refuses a line without a step or an alarm name, and leaves out a value that is not a number', () => {
    expect(normalizeAlarmRecord({ kind: 'alarm', alarm: 'x' }, 1)).toEqual({
      ok: false,
      reason: 'alarm without a numeric "step"',
    });
    expect(normalizeAlarmRecord({ kind: 'alarm', step: 4, message: 'm' }, 1)).toEqual({
      ok: false,
      reason: 'alarm without an "alarm" name',
    });
    expect(normalizeAlarmRecord({ kind: 'alarm', step: 4, alarm: 'x', message: 'm', value: 'high' }, 1)).toEqual({
      ok: true,
      record: { line: 1, step: 4, alarm: 'x', message: 'm' },
    });
  });
});

describe('orderAlarmRecords', () => {
  it('orders by step, keeps file order within a step, and keeps the last line of a repeated alarm', () => {
    const alarm = (line: number, step: number, name: string): AlarmRecord => ({
      line,
      step,
      alarm: name,
      message: `${name} at ${step} (line ${line})`,
    });
    const ordered = orderAlarmRecords([
      alarm(1, 50, 'search-runaway'),
      alarm(2, 20, 'entropy-collapse'),
      alarm(3, 50, 'reward-collapse'),
      // a run resumed from step 40 wrote its alarm of step 50 again
      alarm(4, 50, 'search-runaway'),
    ]);
    expect(ordered.map((record) => [record.step, record.alarm, record.line])).toEqual([
      [20, 'entropy-collapse', 2],
      [50, 'reward-collapse', 3],
      [50, 'search-runaway', 4],
    ]);
  });
});
