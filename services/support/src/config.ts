import { z } from 'zod';

/** Support's own environment variables (the shared ones — PORT, DATABASE_URL, JWT… — are the kit's). */
export const supportConfigShape = {
  /** Days a ticket may wait for its client (status answered) before it is closed; 0 turns it off. */
  SUPPORT_AUTO_CLOSE_DAYS: z.coerce.number().int().min(0).max(365).default(7),
};

export type SupportEnvConfig = z.infer<z.ZodObject<typeof supportConfigShape>>;

/** What supportService needs (its entry maps the environment onto it; tests build it directly). */
export interface SupportConfig {
  /** Days awaiting the client before auto-close; 0 or undefined = never. */
  autoCloseDays?: number;
  /** Run the SLA and auto-close jobs on the kit scheduler (default true; tests call them directly). */
  jobs?: boolean;
  /** Clock for SLA deadlines and auto-close (tests). */
  now?: () => Date;
}

export const supportConfigFrom = (env: SupportEnvConfig, _shared: unknown): SupportConfig => ({
  autoCloseDays: env.SUPPORT_AUTO_CLOSE_DAYS,
});
