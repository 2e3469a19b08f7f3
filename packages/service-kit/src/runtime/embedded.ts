import { createInMemoryBus, type InMemoryBus } from '../bus/in-memory';
import { openEmbeddedPostgres, type EmbeddedPostgres } from '../db/pglite';
import { type Database } from '../db/types';

export interface EmbeddedInfrastructure {
  database(service: string): Promise<Database>;
  bus: InMemoryBus;
  close(): Promise<void>;
}

/** One PGlite engine (a schema and role per service) and one in-process bus, for `npm start`. */
export async function openEmbeddedInfrastructure(options: {
  dataDir?: string;
}): Promise<EmbeddedInfrastructure> {
  const engine: EmbeddedPostgres = await openEmbeddedPostgres(
    options.dataDir ? { dataDir: options.dataDir } : {},
  );
  const bus = createInMemoryBus();
  return {
    database: (service) => engine.database(service),
    bus,
    async close() {
      await bus.close();
      await engine.close();
    },
  };
}
