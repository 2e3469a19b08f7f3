import { authOf } from '@geminis/service-kit';
import { type Request } from 'express';
import { type Actor } from '../domain/context';

export { bodyOf, idOf, queryOf } from '@geminis/service-kit';

export const actorOf = (req: Request): Actor => ({ auth: authOf(req), ip: req.ip });
