/**
 * The services behind the gateway: one list that `npm start`, the gateway's upstreams (`<NAME>_URL`), its
 * route table and its docs loop over. Adding a service starts with a line here (CONTRIBUTING.md).
 * `port` is the service's default port as its own process (compose, Kubernetes).
 */
export const SERVICES = [
  { name: 'identity', port: 4001 },
  { name: 'catalog', port: 4002 },
  { name: 'billing', port: 4003 },
  { name: 'provisioning', port: 4004 },
  { name: 'support', port: 4005 },
] as const;

export type ServiceName = (typeof SERVICES)[number]['name'];

/** The default port of a service as its own process. */
export const servicePort = (name: ServiceName): number => SERVICES.find((s) => s.name === name)!.port;

/** The gateway's variable that holds a service's URL: `CATALOG_URL`… */
export const serviceUrlVariable = <N extends ServiceName>(name: N) =>
  `${name.toUpperCase() as Uppercase<N>}_URL` as const;
