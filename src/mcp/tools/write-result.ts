import * as z from 'zod';
import { runLine } from '../render.js';
import { runSchema } from '../schemas.js';

/** The answer of every guarded write tool: started/cancelled, or a preview waiting for confirmation. */
export const writeResultSchema = z.object({
  status: z.enum(['started', 'already_started', 'cancelled', 'confirmation_required']),
  message: z.string(),
  run: runSchema.nullable(),
  confirmation: z
    .object({
      token: z.string(),
      expires_at: z.string(),
      action: z.enum(['trigger', 'rerun', 'cancel']),
      orchestrator: z.string(),
      pipeline_id: z.string(),
      run_id: z.string().nullable(),
      conf: z.record(z.string(), z.unknown()),
      reason: z.string().nullable(),
    })
    .nullable()
    .describe('What will happen; pass token back as confirmation_token once the user agrees'),
});

export const confirmationTokenInput = z
  .string()
  .max(1000)
  .optional()
  .describe('From the previous call’s confirmation, after the user agreed to the preview');

export const waitSecondsInput = z
  .number()
  .int()
  .min(0)
  .max(600)
  .optional()
  .describe(
    'After starting, wait up to this many seconds for the run to finish, with progress notifications',
  );

export const reasonInput = z
  .string()
  .max(500)
  .optional()
  .describe('Why; stored on the run and in the audit log');

export function renderWriteResult(tool: string, out: z.infer<typeof writeResultSchema>): string {
  if (out.confirmation) {
    const c = out.confirmation;
    return [
      `Confirmation needed before ${c.action === 'trigger' ? 'starting a real run' : c.action === 'rerun' ? 're-running failed tasks' : 'cancelling a run'}:`,
      `  orchestrator: ${c.orchestrator}`,
      `  pipeline: ${c.pipeline_id}`,
      ...(c.run_id ? [`  run: ${c.run_id}`] : []),
      ...(c.action === 'trigger' ? [`  parameters: ${JSON.stringify(c.conf)}`] : []),
      `  reason: ${c.reason ?? '-'}`,
      `Ask the user; if they agree, call ${tool} again with the same arguments and confirmation_token="${c.token}" (valid until ${c.expires_at}).`,
    ].join('\n');
  }
  return `${out.message}${out.run ? `\nRun ${runLine(out.run)}` : ''}`;
}
