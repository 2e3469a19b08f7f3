import { ProductType, ProvisioningModule } from '@geminis/contracts';
import { z } from 'zod';

export { ProductType, ProvisioningModule };
export type ProductTypeName = z.infer<typeof ProductType>;
export type ModuleName = z.infer<typeof ProvisioningModule>;

const PanelPackage = z.string().trim().min(1).max(100);

/** Each provisioning module's per-product configuration; unknown keys are refused (typos fail loudly). */
export const MODULE_CONFIG: Readonly<Record<ModuleName, z.ZodType>> = {
  cpanel: z
    .object({
      /** WHM package name. */
      package: PanelPackage,
      /** Create a WHM reseller account instead of a cPanel account. */
      reseller: z.boolean().default(false),
      /** WHM ACL list for reseller accounts. */
      acl: z.string().trim().min(1).max(100).optional(),
      dedicatedIp: z.boolean().default(false),
    })
    .strict(),
  plesk: z
    .object({
      servicePlan: PanelPackage,
      reseller: z.boolean().default(false),
      resellerPlan: PanelPackage.optional(),
    })
    .strict()
    .refine((c) => !c.reseller || c.resellerPlan !== undefined, {
      message: 'a Plesk reseller product needs a resellerPlan',
      path: ['resellerPlan'],
    }),
  directadmin: z
    .object({
      package: PanelPackage,
      reseller: z.boolean().default(false),
      ip: z.enum(['shared', 'dedicated']).default('shared'),
    })
    .strict(),
  registrar: z
    .object({
      registrar: z.enum(['enom', 'resellerclub', 'namecheap', 'openprovider', 'internetbs']),
    })
    .strict(),
  none: z.object({}).strict(),
};

/** Which modules may automate which product types. */
export function moduleFitsType(module: ModuleName, type: ProductTypeName): boolean {
  if (type === 'domain') return module === 'registrar' || module === 'none';
  if (module === 'registrar') return false;
  if (type === 'ssl' || type === 'other' || type === 'vps' || type === 'dedicated') return true;
  return true;
}
