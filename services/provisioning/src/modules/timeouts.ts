/** Explicit per-call timeouts: account creation takes minutes on a busy panel, everything else seconds. */
export interface PanelTimeouts {
  defaultMs: number;
  createMs: number;
}

export const DEFAULT_PANEL_TIMEOUTS: PanelTimeouts = { defaultMs: 30_000, createMs: 180_000 };
