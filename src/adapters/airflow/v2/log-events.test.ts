import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { renderContent, renderLogEvent } from './log-events.js';

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
