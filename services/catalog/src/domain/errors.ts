import {
  BusinessRuleError,
  fieldErrorsOf,
  NotFoundError,
  ValidationError,
  type FieldError,
} from '@geminis/service-kit';
import { type z } from 'zod';

export const productNotFound = () => new NotFoundError('catalog.product_not_found', 'product not found');
export const groupNotFound = () => new NotFoundError('catalog.group_not_found', 'product group not found');
export const promotionNotFound = () =>
  new NotFoundError('catalog.promotion_not_found', 'promotion not found');
export const tenantNotFound = () => new NotFoundError('catalog.storefront_not_found', 'storefront not found');

/**
 * A staff quote naming a client this tenant does not have (another tenant's, or none). Catalog knows a
 * tenant's clients from identity.client.created.v1; a client created a moment ago may not be known yet
 * (the event is on its way): the same answer, which the caller may retry after a short wait.
 */
export const clientUnknown = () =>
  new BusinessRuleError(
    'catalog.client_unknown',
    'clientId: no such client in this tenant (a client created just now may take a moment to be known: retry shortly)',
    { fieldErrors: [{ field: 'clientId', message: 'no such client in this tenant' }] },
  );

export const invalidField = (code: string, field: string, message: string) =>
  new ValidationError(code, `invalid request: ${field}: ${message}`, { fieldErrors: [{ field, message }] });

/** Zod issues under a field prefix (`moduleConfig.package`). */
export function invalidUnder(code: string, prefix: string, error: z.ZodError): ValidationError {
  const fieldErrors: FieldError[] = fieldErrorsOf(error).map((e) => ({
    field: e.field === '(root)' ? prefix : `${prefix}.${e.field}`,
    message: e.message,
  }));
  return new ValidationError(
    code,
    `invalid request: ${fieldErrors.map((e) => `${e.field}: ${e.message}`).join('; ')}`,
    { fieldErrors },
  );
}
