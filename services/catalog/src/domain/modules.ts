import { MODULE_CONFIG_SCHEMAS, ProductType, ProvisioningModule } from '@geminis/contracts';
import { type z } from 'zod';

export { ProductType, ProvisioningModule };
export type ProductTypeName = z.infer<typeof ProductType>;
export type ModuleName = z.infer<typeof ProvisioningModule>;

/**
 * Each provisioning module's per-product configuration; unknown keys are refused (typos fail loudly). The
 * schemas are the contract's: products answer with the configuration exactly as parsed here.
 */
export const MODULE_CONFIG: Readonly<Record<ModuleName, z.ZodType>> = MODULE_CONFIG_SCHEMAS;

/** Which modules may automate which product types. */
export function moduleFitsType(module: ModuleName, type: ProductTypeName): boolean {
  if (type === 'domain') return module === 'registrar' || module === 'none';
  if (module === 'registrar') return false;
  if (type === 'ssl' || type === 'other' || type === 'vps' || type === 'dedicated') return true;
  return true;
}
