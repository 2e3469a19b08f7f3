import {
  BusinessRuleError,
  ConflictError,
  NotFoundError,
  ValidationError,
  type FieldError,
} from '@geminis/service-kit';

// The error catalogue of billing: one constructor per code (`billing.<what>`), the status implied.

export const orderNotFound = () => new NotFoundError('billing.order_not_found', 'order not found');
export const invoiceNotFound = () => new NotFoundError('billing.invoice_not_found', 'invoice not found');
export const serviceNotFound = () =>
  new NotFoundError('billing.service_not_found', 'client service not found');
export const clientNotFound = () => new NotFoundError('billing.client_not_found', 'client not found');
export const creditNoteNotFound = () =>
  new NotFoundError('billing.credit_note_not_found', 'credit note not found');
export const paymentMethodNotFound = () =>
  new NotFoundError('billing.payment_method_not_found', 'this client has no saved payment method');

const fieldError = (field: string, message: string): { fieldErrors: FieldError[] } => ({
  fieldErrors: [{ field, message }],
});

export const invalidField = (code: string, field: string, message: string) =>
  new ValidationError(code, `invalid request: ${field}: ${message}`, fieldError(field, message));

/** A client this tenant does not have (or not yet: identity's event has not arrived). */
export const unknownClient = () =>
  new BusinessRuleError('billing.client_unknown', 'clientId: no such client in this tenant', {
    ...fieldError('clientId', 'no such client in this tenant'),
  });

export const idempotencyKeyReused = () =>
  new BusinessRuleError(
    'billing.idempotency_key_reused',
    'this Idempotency-Key was used for another request (another body or operation)',
    fieldError('Idempotency-Key', 'already used for a different request'),
  );

export const idempotencyInProgress = () =>
  new ConflictError(
    'billing.idempotency_in_progress',
    'a request with this Idempotency-Key is still being processed; retry shortly',
    { retryAfterSeconds: 1 },
  );

export const promotionRefused = (reason: string, detail: string) =>
  new BusinessRuleError(`billing.promotion_${reason}`, detail, fieldError('promoCode', detail));

export const amountOverBalance = (balance: bigint) =>
  new BusinessRuleError(
    'billing.amount_over_balance',
    `amount: more than the invoice's balance (${balance})`,
    fieldError('amount', `must not exceed the balance of ${balance}`),
  );

export const insufficientCredit = (available: bigint) =>
  new BusinessRuleError(
    'billing.insufficient_credit',
    `amount: more than the client's credit (${available})`,
    fieldError('amount', `must not exceed the available credit of ${available}`),
  );

export const invoiceNotPayable = (status: string) =>
  new ConflictError('billing.invoice_not_payable', `the invoice is ${status}: it takes no payment`);

export const orderNotCancellable = (status: string) =>
  new ConflictError(
    'billing.order_not_cancellable',
    `the order is ${status}: only a pending order can be cancelled`,
  );

/** Secrets never inherit across tenants: a reseller without its own Stripe account cannot take cards. */
export const gatewayNotConfigured = () =>
  new BusinessRuleError(
    'billing.gateway_not_configured',
    'this storefront does not take card payments (no Stripe account)',
  );

export const webhookNotFound = () =>
  new NotFoundError('billing.webhook_not_found', 'no Stripe webhook is configured here');

export const creditOverPaid = (available: bigint) =>
  new BusinessRuleError(
    'billing.credit_over_paid',
    `amount: more than is left to credit on this invoice (${available})`,
    {
      fieldErrors: [
        { field: 'amount', message: `must not exceed ${available}, what was paid and not yet credited` },
      ],
    },
  );

export const invoiceNotCreditable = (status: string) =>
  new ConflictError(
    'billing.invoice_not_creditable',
    `the invoice is ${status}: only a paid invoice can be credited`,
  );

/** Stripe takes 3-decimal currencies (KWD, BHD…) only in whole hundredths: the last digit must be 0. */
export const stripeAmountUnsupported = (amount: bigint, currency: string) =>
  new BusinessRuleError(
    'billing.stripe_amount_unsupported',
    `Stripe cannot charge ${amount} ${currency} minor units: for this currency the last digit must be 0; pay the rest another way`,
  );

export const refundOverCard = (available: bigint) =>
  new BusinessRuleError(
    'billing.refund_over_card',
    `amount: more than one card payment of this invoice can take back (${available})`,
    {
      fieldErrors: [
        { field: 'amount', message: `at most ${available} can go back to a card payment of this invoice` },
      ],
    },
  );

export const serviceStateConflict = (status: string, action: string) =>
  new ConflictError('billing.service_state_conflict', `the service is ${status}: it cannot be ${action}`);

export const nothingToExtend = () =>
  new ConflictError(
    'billing.nothing_to_extend',
    'the service has no outstanding renewal invoice to give more time for',
  );

export const noLateFeeToWaive = () =>
  new ConflictError(
    'billing.no_late_fee',
    'the invoice has no late fee to waive (none was added, it is settled, or more than the rest was paid)',
  );

export const changeAlreadyPending = () =>
  new ConflictError(
    'billing.change_pending',
    'the service has a change of package paid in part: pay the rest of its invoice first',
  );

export const sameProduct = () =>
  new ValidationError(
    'billing.change_same_product',
    'invalid request: productId: the service already has it',
    {
      fieldErrors: [{ field: 'productId', message: 'the service already has this product' }],
    },
  );
