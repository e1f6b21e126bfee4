import {
  CLIENT_CAPABILITIES_META_KEY,
  acceptedContent,
  inputRequired,
  type CallToolResult,
  type ClientCapabilities,
  type InputRequiredResult,
  type McpServer,
  type ServerContext,
} from '@modelcontextprotocol/server';
import * as z from 'zod';

const confirmSchema = z.object({ confirm: z.boolean().describe('Go ahead?') });
const CONFIRM_KEY = 'confirm';

export type ConfirmationOutcome =
  | { kind: 'not_possible' }
  | { kind: 'confirmed'; token: string }
  | { kind: 'declined' }
  | { kind: 'ask'; result: InputRequiredResult };

/** Whether the client can show the user a form (elicitation), on either protocol era. */
export function canElicit(server: McpServer, ctx: ServerContext): boolean {
  const fromEnvelope = ctx.mcpReq.envelope?.[
    CLIENT_CAPABILITIES_META_KEY as keyof typeof ctx.mcpReq.envelope
  ] as ClientCapabilities | undefined;
  const capabilities = ctx.mcpReq.envelope ? fromEnvelope : server.server.getClientCapabilities();
  return Boolean(capabilities?.elicitation);
}

/**
 * Asks the user to confirm a previewed write through the client's own form. The 2026-07-28 era uses a
 * multi-round-trip `input_required` result (the signed confirmation token rides in requestState, which
 * is integrity-protected by its HMAC); older clients get a server→client elicitation request.
 */
export async function elicitConfirmation(
  ctx: ServerContext,
  preview: { token: string; message: string },
): Promise<ConfirmationOutcome> {
  if (ctx.mcpReq.envelope) {
    const answered = ctx.mcpReq.inputResponses?.[CONFIRM_KEY] !== undefined;
    const token = ctx.mcpReq.requestState<string>();
    if (answered && typeof token === 'string') {
      return acceptedContent(ctx.mcpReq.inputResponses, CONFIRM_KEY, confirmSchema)?.confirm === true
        ? { kind: 'confirmed', token }
        : { kind: 'declined' };
    }
    return {
      kind: 'ask',
      result: inputRequired({
        inputRequests: {
          [CONFIRM_KEY]: inputRequired.elicit({ message: preview.message, requestedSchema: confirmSchema }),
        },
        requestState: preview.token,
      }),
    };
  }
  const answer = await ctx.mcpReq.elicitInput({
    mode: 'form',
    message: preview.message,
    requestedSchema: {
      type: 'object',
      properties: { confirm: { type: 'boolean', title: 'Go ahead?' } },
      required: ['confirm'],
    },
  });
  return answer.action === 'accept' && answer.content?.confirm === true
    ? { kind: 'confirmed', token: preview.token }
    : { kind: 'declined' };
}

export function declinedResult(): CallToolResult {
  return {
    isError: true,
    content: [{ type: 'text', text: 'Refused: the user declined; nothing was started.' }],
  };
}
