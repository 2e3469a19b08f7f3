import { launchWith } from '@geminis/service-kit/launch';

// Tracing starts before the gateway (and express, http) is loaded: see launchWith().
launchWith('gateway', async (telemetry, env) => (await import('./standalone')).runGateway(telemetry, env));
