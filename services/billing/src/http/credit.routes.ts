import { CreditBalanceView } from '@geminis/contracts';
import { createRoutes } from '@geminis/service-kit';
import { clientNotFound } from '../domain/errors';
import { CreditDepositInput } from '../domain/inputs';
import { type PaymentsService } from '../domain/payments.service';
import { bodyOf, idempotencyKeyOf, idOf, sendAnswer, TenantQuery, tenantOf } from './request';

/** Account credit of a client: its balance per currency, and staff deposits. */
export function creditRoutes(deps: { payments: PaymentsService }) {
  const { payments } = deps;
  const routes = createRoutes();
  routes.get(
    '/v1/credit/:clientId',
    { authenticated: true },
    { summary: 'A client’s account credit', query: TenantQuery, responses: { 200: CreditBalanceView } },
    async (req, res, auth) => {
      res.json(await payments.balance(auth, idOf(req, clientNotFound, 'clientId'), tenantOf(req)));
    },
  );
  routes.post(
    '/v1/credit/:clientId',
    { roles: ['admin', 'reseller'] },
    {
      summary: 'Add account credit to a client (Idempotency-Key honoured)',
      query: TenantQuery,
      body: CreditDepositInput,
      responses: { 201: CreditBalanceView },
    },
    async (req, res, auth) => {
      const clientId = idOf(req, clientNotFound, 'clientId');
      const input = bodyOf(req, CreditDepositInput);
      sendAnswer(res, await payments.deposit(auth, clientId, input, idempotencyKeyOf(req), tenantOf(req)));
    },
  );
  return routes;
}
