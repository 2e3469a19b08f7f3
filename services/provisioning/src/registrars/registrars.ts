import { type PanelHttp } from '../modules/panel-http';
import { namecheapAdapter } from './namecheap.adapter';
import { namecomAdapter } from './namecom.adapter';
import { type RegistrarAdapter, type RegistrarConnection } from './registrar';
import { resellerClubAdapter } from './resellerclub.adapter';

/** Registrars answer within a minute or not at all (providers.md §7); the caller then reads state. */
export const DEFAULT_REGISTRAR_TIMEOUT_MS = 60_000;

/** The adapter of a registrar account, over the shared HTTP (timeouts, per-account breaker and bound). */
export function createRegistrars(http: PanelHttp, timeoutMs = DEFAULT_REGISTRAR_TIMEOUT_MS) {
  return {
    http,
    adapterFor(conn: RegistrarConnection): RegistrarAdapter {
      switch (conn.registrar) {
        case 'resellerclub':
          return resellerClubAdapter(conn, http, timeoutMs);
        case 'namecheap':
          return namecheapAdapter(conn, http, timeoutMs);
        case 'namecom':
          return namecomAdapter(conn, http, timeoutMs);
      }
    },
  };
}

export type Registrars = ReturnType<typeof createRegistrars>;
