import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { sharedSpecsDir, specsMissingMessage } from '../../../test/spec-path.js';
import { problemDetail } from './problem.js';

describe('RFC 7807 problem details (Airflow 2 errors)', () => {
  it('uses the detail, never the type URL', () => {
    const body = JSON.stringify({
      detail: "DAGRun with DAG ID: 'x' and DagRun ID: 'y' not found",
      status: 404,
      title: 'DAGRun not found',
      type: 'https://airflow.apache.org/docs/apache-airflow/2.10.0/stable-rest-api-ref.html#section/Errors/NotFound',
    });
    assert.equal(problemDetail(body), "DAGRun with DAG ID: 'x' and DagRun ID: 'y' not found");
  });

  it('falls back to the title when there is no detail', () => {
    assert.equal(
      problemDetail('{"title":"Unauthorized","status":401,"type":"about:blank","detail":null}'),
      'Unauthorized',
    );
    assert.equal(problemDetail('{"title":"Forbidden","status":403,"detail":""}'), 'Forbidden');
  });

  it('reads other shapes generically (a proxy in front of Airflow)', () => {
    assert.equal(problemDetail('{"detail":"plain"}'), 'plain');
    assert.equal(problemDetail('{"message":"from a gateway"}'), 'from a gateway');
    assert.equal(problemDetail('<html><body>502 Bad Gateway</body></html>'), null);
    assert.equal(problemDetail('upstream connect error'), 'upstream connect error');
    assert.equal(problemDetail(''), null);
  });

  it('reads the shared 404 example', (t) => {
    const dir = sharedSpecsDir();
    if (dir === null) return t.skip(specsMissingMessage());
    const body = readFileSync(
      join(dir, 'examples', 'airflow', 'v1_get_dag_run_404.test-expected.json'),
      'utf8',
    );
    assert.match(
      problemDetail(body) ?? '',
      /^DAGRun with DAG ID: 'invalid-id' and DagRun ID: 'invalid-id' not found$/,
    );
  });
});
