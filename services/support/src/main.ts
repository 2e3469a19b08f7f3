import { launch } from '@geminis/service-kit/launch';

// Tracing starts before the service (and express, pg, amqplib) is loaded: see launch().
launch('support', async () => (await import('./entry')).supportEntry);
