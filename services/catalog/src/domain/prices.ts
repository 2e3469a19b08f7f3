import { type PriceInput } from './inputs';
import { type Price } from '../store/prices.store';

export const toPrices = (input: PriceInput[]): Price[] =>
  input.map((p) => ({
    currency: p.currency,
    cycle: p.cycle,
    price: BigInt(p.price),
    setupFee: BigInt(p.setupFee),
  }));
