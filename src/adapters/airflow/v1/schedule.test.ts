import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pythonRelativedelta, pythonTimedelta, renderScheduleInterval, v1Schedule } from './schedule.js';

describe('schedule_interval rendering', () => {
  it('renders a cron expression as it is', () => {
    assert.equal(renderScheduleInterval({ __type: 'CronExpression', value: '0 2 * * *' }), '0 2 * * *');
    assert.equal(renderScheduleInterval({ __type: 'CronExpression', value: '@daily' }), '@daily');
    assert.equal(renderScheduleInterval({ __type: 'CronExpression', value: ' ' }), null);
  });

  it("renders a TimeDelta like Python's str(timedelta)", () => {
    assert.equal(pythonTimedelta(1, 0, 0), '1 day, 0:00:00');
    assert.equal(pythonTimedelta(0, 6 * 3600, 0), '6:00:00');
    assert.equal(pythonTimedelta(2, 30, 0), '2 days, 0:00:30');
    assert.equal(pythonTimedelta(0, 90, 500_000), '0:01:30.500000');
    assert.equal(pythonTimedelta(0, -1, 0), '-1 day, 23:59:59');
    assert.equal(pythonTimedelta(0, 86_400 + 3661, 0), '1 day, 1:01:01', 'normalized like Python');
    assert.equal(
      renderScheduleInterval({ __type: 'TimeDelta', days: 0, seconds: 3600, microseconds: 0 }),
      '1:00:00',
    );
  });

  it("renders a RelativeDelta like dateutil's repr", () => {
    const fields = {
      __type: 'RelativeDelta',
      years: 0,
      months: 1,
      days: -2,
      leapdays: 0,
      hours: 0,
      minutes: 0,
      seconds: 0,
      microseconds: 0,
      year: null,
      month: null,
      day: 1,
      hour: 6,
      minute: null,
      second: null,
      microsecond: null,
    };
    assert.equal(renderScheduleInterval(fields), 'relativedelta(months=+1, days=-2, day=1, hour=6)');
    assert.equal(pythonRelativedelta({}), 'relativedelta()');
  });

  it('falls back to the timetable description, except for "never"', () => {
    assert.equal(
      v1Schedule({ schedule_interval: null, timetable_description: 'Triggered by datasets' }),
      'Triggered by datasets',
    );
    assert.equal(
      v1Schedule({ schedule_interval: null, timetable_description: 'Never, external triggers only' }),
      null,
    );
    assert.equal(v1Schedule({ schedule_interval: null, timetable_description: null }), null);
    assert.equal(
      v1Schedule({
        schedule_interval: { __type: 'CronExpression', value: '0 2 * * *' },
        timetable_description: 'At 02:00',
      }),
      '0 2 * * *',
      'the same text Airflow 3 shows for the same DAG',
    );
    assert.equal(
      v1Schedule({ schedule_interval: { __type: 'SomethingNew' }, timetable_description: 'Custom' }),
      'Custom',
    );
    assert.equal(v1Schedule({ schedule_interval: [1, 2] }), null);
  });
});
