import { createHttpApp, createRoutes, type Logger } from '@geminis/service-kit';
import { type Express } from 'express';

export interface GatewayDeps {
  logger: Logger;
  /** Upstream services by name → base URL, for readiness. */
  upstreams: Record<string, string>;
}

/** The gateway's app. Routing to upstreams is the gateway issue's work; today it answers health only. */
export function createGatewayApp(deps: GatewayDeps): Express {
  const routes = createRoutes();
  routes.get('/', { public: true }, (_req, res) => {
    res.json({ name: 'Geminis', docs: '/docs', health: '/healthz' });
  });
  const readiness = Object.fromEntries(
    Object.entries(deps.upstreams).map(([name, url]) => [
      name,
      async () => {
        const res = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(1500) });
        if (!res.ok) throw new Error(`${name} answered ${res.status}`);
      },
    ]),
  );
  return createHttpApp({ service: 'gateway', logger: deps.logger, routes: [routes], readiness });
}
