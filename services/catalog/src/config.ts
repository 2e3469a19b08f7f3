import { z } from 'zod';

/** Catalog's own environment variables (the shared ones — PORT, DATABASE_URL, JWT… — are the kit's). */
export const catalogConfigShape = {
  /** Storefront currency when the caller does not ask for one. */
  CATALOG_DEFAULT_CURRENCY: z
    .string()
    .regex(/^[A-Z]{3}$/)
    .default('USD'),
};

export type CatalogEnvConfig = z.infer<z.ZodObject<typeof catalogConfigShape>>;

/** What catalogService needs (its entry maps the environment onto it; tests build it directly). */
export interface CatalogConfig {
  defaultCurrency?: string;
  /**
   * Serve the service-key routes (/internal/v1/…, promotion reservations for billing); runService must
   * then be given the serviceKey.
   */
  internalRoutes?: boolean;
  /** Clock for promotion dates (tests). */
  now?: () => Date;
}

export const catalogConfigFrom = (
  env: CatalogEnvConfig,
  shared: { INTERNAL_SERVICE_KEY?: string | undefined },
): CatalogConfig => ({
  defaultCurrency: env.CATALOG_DEFAULT_CURRENCY,
  internalRoutes: shared.INTERNAL_SERVICE_KEY !== undefined,
});
