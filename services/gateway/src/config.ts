import { baseConfig, loadConfigOrExit, processEnv } from '@geminis/service-kit';
import { z } from 'zod';

export const gatewayConfigShape = {
  ...baseConfig,
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().default('0.0.0.0'),
};

export type GatewayConfig = z.infer<z.ZodObject<typeof gatewayConfigShape>>;

export const loadGatewayConfig = (env = processEnv()) => loadConfigOrExit('gateway', gatewayConfigShape, env);
