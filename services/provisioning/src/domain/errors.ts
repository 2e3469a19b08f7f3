import { fieldErrorsOf, NotFoundError, ValidationError, type FieldError } from '@geminis/service-kit';
import { type z } from 'zod';

export const serverNotFound = () => new NotFoundError('provisioning.server_not_found', 'server not found');
export const groupNotFound = () =>
  new NotFoundError('provisioning.server_group_not_found', 'server group not found');
export const jobNotFound = () => new NotFoundError('provisioning.job_not_found', 'job not found');
export const accountNotFound = () => new NotFoundError('provisioning.account_not_found', 'account not found');

export const invalidField = (code: string, field: string, message: string) =>
  new ValidationError(code, `invalid request: ${field}: ${message}`, { fieldErrors: [{ field, message }] });

/** Zod issues under a field prefix (`credentials.apiToken`). */
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

export const registrarAccountNotFound = () =>
  new NotFoundError('provisioning.registrar_account_not_found', 'registrar account not found');
export const tldRegistrarNotFound = () =>
  new NotFoundError('provisioning.tld_registrar_not_found', 'no registrar is set for this TLD');
export const domainNotFound = () => new NotFoundError('provisioning.domain_not_found', 'domain not found');
export const domainJobNotFound = () =>
  new NotFoundError('provisioning.domain_job_not_found', 'domain job not found');
