/**
 * What typical existing Airflow MCP servers do for "what failed in the last 24 hours?": list every DAG,
 * then ask each DAG for its latest run (one request per DAG; 4 in flight, kinder than the sequential loops
 * most of them use), and hand the raw API JSON of the failed
 * ones to the model. Written to be fair to that approach: it pages the DAG list at the server's maximum
 * and returns only the failed runs, not every payload it read. Note that it only sees each DAG's LATEST
 * run, so a DAG that failed and then succeeded within the window is missed.
 */
export interface NaiveAnswer {
  requests: number;
  /** The raw JSON the model would receive. */
  answer: string;
  failed: number;
}

export async function naiveFailedInLastDay(
  baseUrl: string,
  auth: { username: string; password: string },
  concurrency = 4,
): Promise<NaiveAnswer> {
  let requests = 0;
  const tokenResponse = await fetch(`${baseUrl}/auth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(auth),
  });
  requests++;
  const { access_token } = (await tokenResponse.json()) as { access_token: string };
  const get = async (path: string): Promise<unknown> => {
    requests++;
    const response = await fetch(`${baseUrl}/api/v2${path}`, {
      headers: { authorization: `Bearer ${access_token}` },
    });
    return response.json();
  };

  const dagIds: string[] = [];
  for (let offset = 0; ; offset += 100) {
    const page = (await get(`/dags?limit=100&offset=${offset}`)) as {
      dags: { dag_id: string }[];
      total_entries: number;
    };
    dagIds.push(...page.dags.map((d) => d.dag_id));
    if (page.dags.length === 0 || dagIds.length >= page.total_entries) break;
  }
  const since = Date.now() - 24 * 3600_000;
  const failed: unknown[] = [];
  let next = 0;
  const worker = async () => {
    while (next < dagIds.length) {
      const dagId = dagIds[next++] as string;
      const runs = (await get(`/dags/${encodeURIComponent(dagId)}/dagRuns?order_by=-run_after&limit=1`)) as {
        dag_runs: { state: string; end_date: string | null }[];
      };
      const latest = runs.dag_runs[0];
      if (latest?.state === 'failed' && latest.end_date && Date.parse(latest.end_date) >= since)
        failed.push(latest);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { requests, answer: JSON.stringify(failed), failed: failed.length };
}
