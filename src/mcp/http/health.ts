/** Liveness: the process answers. Never depends on an orchestrator (a slow upstream must not get us killed). */
export function healthResponse(): Response {
  return Response.json({ status: 'ok' }, { headers: { 'cache-control': 'no-store' } });
}

/** Readiness: 503 while draining after SIGTERM, so a load balancer stops sending new calls. */
export function readinessResponse(draining: boolean): Response {
  return Response.json(
    { status: draining ? 'draining' : 'ready' },
    { status: draining ? 503 : 200, headers: { 'cache-control': 'no-store' } },
  );
}
