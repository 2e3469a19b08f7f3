import { createHmac } from 'node:crypto';

/**
 * The id a reseller's clients see for a platform id (a resold product, its options, choices, add-ons):
 * HMAC-SHA256 keyed with the offering's secret salt, the first 16 bytes formatted as a version-4, RFC 4122
 * variant UUID. Without the salt nobody can tell which platform id an alias stands for, nor that two
 * storefronts sell the same product (each offering has its own salt); with it the alias is stable.
 */
export function aliasId(salt: string, platformId: string): string {
  const b = createHmac('sha256', salt).update(platformId.toLowerCase()).digest().subarray(0, 16);
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
