import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { renderContent, renderLogEvent, renderNdjsonLine } from './log-events.js';

describe('rendering', () => {
  it('renders a structured event with extras', () => {
    const [line] = renderLogEvent({
      event: 'DAG bundles loaded: dags-folder',
      timestamp: '2025-09-11T17:44:52.567095Z',
      level: 'info',
      logger: 'airflow.dag_processing',
      filename: 'manager.py',
      lineno: 179,
    });
    assert.equal(
      line,
      '[2025-09-11T17:44:52.567095Z] INFO airflow.dag_processing - DAG bundles loaded: dags-folder filename=manager.py lineno=179',
    );
  });

  it('renders bare events, multi-line events and tracebacks', () => {
    assert.deepEqual(renderLogEvent({ event: '::group::Log message source details' }), [
      '::group::Log message source details',
    ]);
    assert.deepEqual(renderLogEvent({ event: 'a\nb', timestamp: null, level: 'error' }), ['ERROR a', 'b']);
    const lines = renderLogEvent({
      event: 'Task failed with exception',
      level: 'error',
      error_detail: [
        {
          exc_type: 'ConnectionError',
          exc_value: 'Connection timeout to inventory service',
          frames: [{ filename: '/dags/sync.py', lineno: 12, name: 'fetch' }],
        },
        {
          exc_type: 'ConnectTimeout',
          exc_value: 'timed out',
          is_cause: true,
          frames: [],
          exc_notes: ['note 1'],
        },
      ],
    });
    assert.deepEqual(lines, [
      'ERROR Task failed with exception',
      'Traceback (most recent call last):',
      '  File "/dags/sync.py", line 12, in fetch',
      'ConnectionError: Connection timeout to inventory service',
      'Caused by:',
      'ConnectTimeout: timed out',
      'note 1',
    ]);
  });

  it('accepts string content and string items', () => {
    assert.deepEqual(renderContent('one\ntwo\n'), ['one', 'two']);
    assert.deepEqual(renderContent(''), []);
    assert.deepEqual(renderContent(['x', { event: 'y' }]), ['x', 'y']);
  });
});

describe('NDJSON lines', () => {
  it('renders each line as the JSON answer renders the same item', () => {
    const items = [
      {
        event: 'Processed batch 1/2: 1,000 rows',
        timestamp: '2026-03-11T10:00:00Z',
        level: 'info',
        logger: 'x',
      },
      {
        event: 'Task failed',
        level: 'error',
        error_detail: [{ exc_type: 'E', exc_value: 'boom', frames: [] }],
      },
      'a plain string\nover two lines',
      { event: 'Zählerstand 日本 😀', extra: { k: 1 } },
    ];
    for (const item of items) assert.deepEqual(renderNdjsonLine(JSON.stringify(item)), renderContent([item]));
  });

  it('reads {"content": …} records, skips blank lines, and shows anything else as it is', () => {
    assert.deepEqual(renderNdjsonLine('{"content":[{"event":"a"},"b"]}'), ['a', 'b']);
    assert.deepEqual(renderNdjsonLine('{"content":"x\\ny"}'), ['x', 'y']);
    assert.deepEqual(renderNdjsonLine('   '), []);
    assert.deepEqual(renderNdjsonLine('not json {'), ['not json {']);
    assert.deepEqual(renderNdjsonLine('{"message":"no event"}'), ['{"message":"no event"}']);
    assert.deepEqual(renderNdjsonLine('42'), ['42']);
  });
});
