import { type PanelModule } from '@geminis/contracts';
import { cpanelAdapter } from './cpanel.adapter';
import { directAdminAdapter } from './directadmin.adapter';
import { type PanelAdapter, type PanelConnection } from './panel';
import { type PanelHttp } from './panel-http';
import { pleskAdapter } from './plesk.adapter';
import { DEFAULT_PANEL_TIMEOUTS, type PanelTimeouts } from './timeouts';

const ADAPTERS: Record<
  PanelModule,
  (conn: PanelConnection, http: PanelHttp, timeouts: PanelTimeouts) => PanelAdapter
> = {
  cpanel: cpanelAdapter,
  plesk: pleskAdapter,
  directadmin: directAdminAdapter,
};

/** The adapter for one server's panel, over the shared per-server breakers. */
export function createPanels(http: PanelHttp, timeouts: Partial<PanelTimeouts> = {}) {
  const t = { ...DEFAULT_PANEL_TIMEOUTS, ...timeouts };
  return {
    panelFor: (conn: PanelConnection): PanelAdapter => ADAPTERS[conn.module](conn, http, t),
    http,
  };
}

export type Panels = ReturnType<typeof createPanels>;
