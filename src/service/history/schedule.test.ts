import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { cronNext, cronPrev, cronTimesAfter, parseSchedule } from './schedule.js';

const t = (s: string) => Date.parse(s);

describe('parseSchedule', () => {
  test('cron expressions and Airflow presets', () => {
    assert.deepEqual(parseSchedule('0 6 * * *'), { kind: 'cron', expression: '0 6 * * *' });
    assert.deepEqual(parseSchedule(' 0 */6 * * * '), { kind: 'cron', expression: '0 */6 * * *' });
    assert.deepEqual(parseSchedule('30 8 * * MON-FRI'), { kind: 'cron', expression: '30 8 * * MON-FRI' });
    assert.deepEqual(parseSchedule('@daily'), { kind: 'cron', expression: '0 0 * * *' });
    assert.deepEqual(parseSchedule('@hourly'), { kind: 'cron', expression: '0 * * * *' });
    assert.deepEqual(parseSchedule('@quarterly'), { kind: 'cron', expression: '0 0 1 */3 *' });
  });

  test('Airflow timedelta summaries and "every N unit" are intervals', () => {
    assert.deepEqual(parseSchedule('1 day, 0:00:00'), { kind: 'interval', seconds: 86400 });
    assert.deepEqual(parseSchedule('2 days, 6:00:00'), { kind: 'interval', seconds: 2 * 86400 + 6 * 3600 });
    assert.deepEqual(parseSchedule('0:30:00'), { kind: 'interval', seconds: 1800 });
    assert.deepEqual(parseSchedule('every 6 hours'), { kind: 'interval', seconds: 6 * 3600 });
    assert.deepEqual(parseSchedule('Every hour'), { kind: 'interval', seconds: 3600 });
  });

  test('no fixed times, or not a schedule at all', () => {
    for (const s of [
      null,
      '',
      '   ',
      '@once',
      '@continuous',
      'None',
      'Asset',
      'At 02:00',
      '0 0 30 2 *',
      '61 * * * *',
    ]) {
      assert.equal(parseSchedule(s), null, String(s));
    }
    assert.equal(parseSchedule('0 0 2 * * *'), null, 'six fields (seconds) are not an orchestrator cron');
    assert.equal(parseSchedule('H 2 * * *'), null, 'Jenkins hash needs a seed');
    assert.equal(parseSchedule('0:00:00'), null);
  });
});

describe('cron helpers (UTC)', () => {
  test('cronPrev is inclusive of the instant itself', () => {
    assert.equal(cronPrev('0 6 * * *', t('2025-06-18T06:00:00Z')), t('2025-06-18T06:00:00Z'));
    assert.equal(cronPrev('0 6 * * *', t('2025-06-18T05:59:59.999Z')), t('2025-06-17T06:00:00Z'));
    assert.equal(cronPrev('0 6 * * *', t('2025-06-18T06:00:00.500Z')), t('2025-06-18T06:00:00Z'));
  });

  test('cronNext is strictly after', () => {
    assert.equal(cronNext('0 6 * * *', t('2025-06-18T06:00:00Z')), t('2025-06-19T06:00:00Z'));
    assert.equal(cronNext('0 8 * * 1-5', t('2025-06-20T09:00:00Z')), t('2025-06-23T08:00:00Z'));
  });

  test('cronTimesAfter lists fire times in (after, until], bounded', () => {
    const times = cronTimesAfter('0 */6 * * *', t('2025-06-18T00:00:00Z'), t('2025-06-19T00:00:00Z'), 100);
    assert.deepEqual(
      times.map((x) => new Date(x).toISOString()),
      [
        '2025-06-18T06:00:00.000Z',
        '2025-06-18T12:00:00.000Z',
        '2025-06-18T18:00:00.000Z',
        '2025-06-19T00:00:00.000Z',
      ],
    );
    assert.equal(cronTimesAfter('* * * * *', 0, 10 * 86_400_000, 50).length, 50);
  });
});
