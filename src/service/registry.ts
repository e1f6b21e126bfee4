import { distance } from 'fastest-levenshtein';
import type { OrchestratorAdapter } from '../core/adapter.js';
import { MonitorError, isMonitorError } from '../core/errors.js';
import { assertSafeId, qualify, splitQualifiedId } from '../core/identifiers.js';
import type { Pipeline } from '../core/model.js';

export interface ResolvedPipeline {
  adapter: OrchestratorAdapter;
  pipeline: Pipeline;
}

const LIST_HINT = 'use list_all_pipelines to find ids';

/** The configured orchestrators by name, and resolution of caller-given pipeline ids to one of them. */
export class OrchestratorRegistry {
  private readonly byName = new Map<string, OrchestratorAdapter>();

  constructor(readonly adapters: readonly OrchestratorAdapter[]) {
    for (const adapter of adapters) this.byName.set(adapter.name, adapter);
  }

  get names(): string[] {
    return [...this.byName.keys()];
  }

  /** Adapters selected by an optional orchestrator filter; an unknown name is an input error. */
  select(orchestrator: string | undefined): OrchestratorAdapter[] {
    if (orchestrator === undefined) return [...this.adapters];
    const adapter = this.byName.get(orchestrator);
    if (!adapter) {
      // Shown without what could hide or reorder text (control, bidi, zero-width characters).
      const shown = orchestrator.replace(/[^\p{L}\p{N}_.:@ -]/gu, '?');
      throw new MonitorError('not_found', `No orchestrator named "${shown}".`, {
        hint: `configured orchestrators: ${this.names.join(', ')}`,
      });
    }
    return [adapter];
  }

  /**
   * Finds the one pipeline a caller means by `<orchestrator>:<id>` or a bare id that is unique across
   * orchestrators. Unknown ids name close matches; ambiguous ones list the candidates.
   */
  async resolve(input: string): Promise<ResolvedPipeline> {
    const { orchestrator, id } = splitQualifiedId(input, this.names);
    assertSafeId(id, 'pipeline_id');
    const candidates = orchestrator === null ? [...this.adapters] : this.select(orchestrator);
    const found: ResolvedPipeline[] = [];
    const failures: MonitorError[] = [];
    await Promise.all(
      candidates.map(async (adapter) => {
        try {
          found.push({ adapter, pipeline: await adapter.getPipeline(id) });
        } catch (error) {
          if (!isMonitorError(error)) throw error;
          if (error.kind !== 'not_found') failures.push(error);
        }
      }),
    );
    if (found.length === 1) return found[0] as ResolvedPipeline;
    if (found.length > 1) {
      const options = found.map((f) => qualify(f.adapter.name, f.pipeline.pipeline_id)).sort();
      throw new MonitorError('ambiguous', `"${id}" exists on several orchestrators: ${options.join(', ')}.`, {
        hint: 'pass the qualified id, e.g. ' + options[0],
        candidates: options,
      });
    }
    if (failures.length > 0 && failures.length === candidates.length) throw failures[0];
    const suggestions = await this.closeMatches(id, candidates);
    const unreachable = failures.map((f) => f.orchestrator ?? '?');
    throw new MonitorError(
      'not_found',
      `No pipeline "${id}"${orchestrator ? ` on ${orchestrator}` : ''}.` +
        (suggestions.length ? ` Close matches: ${suggestions.join(', ')}.` : '') +
        (unreachable.length ? ` Could not check: ${unreachable.join(', ')}.` : ''),
      { hint: LIST_HINT, candidates: suggestions },
    );
  }

  private async closeMatches(id: string, adapters: OrchestratorAdapter[]): Promise<string[]> {
    const ids: string[] = [];
    await Promise.all(
      adapters.map(async (adapter) => {
        try {
          for (const p of await adapter.listPipelines({})) ids.push(qualify(adapter.name, p.pipeline_id));
        } catch (error) {
          if (!isMonitorError(error)) throw error;
        }
      }),
    );
    const needle = normalize(id);
    const scored = ids
      .map((q) => {
        const bare = normalize(q.slice(q.indexOf(':') + 1));
        const score = bare.includes(needle) || needle.includes(bare) ? 0 : distance(needle, bare);
        return { q, score };
      })
      .filter((s) => s.score <= Math.max(3, Math.floor(needle.length / 2)))
      .sort((a, b) => a.score - b.score || a.q.localeCompare(b.q));
    return scored.slice(0, 5).map((s) => s.q);
  }
}

function normalize(id: string): string {
  return id.toLowerCase().replace(/[\s-]+/g, '_');
}
