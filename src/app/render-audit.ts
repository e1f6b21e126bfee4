import type { TriggerStore } from '../service/trigger/store.js';

/** The newest audit entries, one readable line each, oldest first. */
export async function renderAudit(store: TriggerStore, limit: number): Promise<string> {
  const entries = await store.recent(Math.max(1, Number.isFinite(limit) ? limit : 50));
  if (entries.length === 0) return `No audit entries in ${store.location}.\n`;
  const lines = entries.map((e) =>
    [
      e.time.replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
      e.decision.padEnd(10),
      e.pipeline,
      e.run_id ? `run=${e.run_id}` : '',
      e.principal ? `principal=${e.principal}` : '',
      e.client ? `client=${e.client}` : '',
      e.latency_ms !== null ? `${e.latency_ms}ms` : '',
      e.reason ? `— ${e.reason}` : '',
    ]
      .filter(Boolean)
      .join('  '),
  );
  return `${store.location}\n${lines.join('\n')}\n`;
}
