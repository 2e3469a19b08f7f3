import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import {
  allEvents,
  buildAsyncApiDocument,
  defineEvent,
  EVENT_TYPE_PATTERN,
  eventRegistry,
  EventRegistry,
  generatedFiles,
} from '../src';

const root = join(__dirname, '..');
const fixtureDir = join(root, 'fixtures');
const fixtureTypes = readdirSync(fixtureDir)
  .filter((f) => f.endsWith('.json'))
  .map((f) => f.replace(/\.json$/, ''));

describe('event contracts', () => {
  it('has a committed fixture for every registered event version, and no fixture for an unknown one', () => {
    expect(fixtureTypes.sort()).toEqual(eventRegistry.types());
  });

  // A published version may only gain optional fields: removing or narrowing a field, or adding a
  // required one, makes its committed fixtures fail here.
  it.each(fixtureTypes)('still accepts every committed fixture of %s', (type) => {
    const examples = JSON.parse(readFileSync(join(fixtureDir, `${type}.json`), 'utf8')) as unknown[];
    expect(examples.length).toBeGreaterThan(0);
    for (const example of examples) {
      const parsed = eventRegistry.parse(example);
      if (!parsed.ok) throw new Error(`${type}: ${parsed.error}`);
      expect(parsed.event.type).toBe(type);
    }
  });

  it('names every event <service>.<entity>.<past-tense>.v<N>', () => {
    for (const def of allEvents) expect(def.type).toMatch(EVENT_TYPE_PATTERN);
    expect(() => defineEvent('identity.clientCreated', 'bad', z.object({}))).toThrow(/does not follow/);
    expect(() => defineEvent('identity.client.created', 'no version', z.object({}))).toThrow();
  });

  it('refuses to register one event type twice', () => {
    const def = defineEvent('test.thing.happened.v1', 'x', z.object({}));
    expect(() => new EventRegistry([def, def])).toThrow(/registered twice/);
  });

  it('says why an event is rejected', () => {
    const fixture = JSON.parse(
      readFileSync(join(fixtureDir, 'identity.client.created.v1.json'), 'utf8'),
    ) as Record<string, unknown>[];
    const good = fixture[0]!;
    expect(eventRegistry.parse({ ...good, type: 'identity.client.vanished.v1' })).toEqual({
      ok: false,
      error: 'unknown event type identity.client.vanished.v1',
    });
    const noTenant = eventRegistry.parse({ ...good, tenantId: 'acme' });
    expect(noTenant.ok).toBe(false);
    expect(!noTenant.ok && noTenant.error).toMatch(/invalid envelope.*tenantId/s);
    const badData = eventRegistry.parse({ ...good, data: { ...(good.data as object), email: 'nope' } });
    expect(!badData.ok && badData.error).toMatch(/invalid identity.client.created.v1 data.*email/s);
  });
});

describe('generated documents', () => {
  it('are committed and up to date (run npm run generate -w @geminis/contracts)', () => {
    for (const [path, text] of Object.entries(generatedFiles())) {
      expect({ path, text: readFileSync(join(root, path), 'utf8') }).toEqual({ path, text });
    }
    expect(readdirSync(join(root, 'generated', 'schemas')).length).toBe(allEvents.length);
  });

  it('describe every event as an AsyncAPI 3 channel with its payload schema', () => {
    const doc = buildAsyncApiDocument() as {
      asyncapi: string;
      channels: Record<string, { address: string }>;
      components: { messages: Record<string, { payload: { properties: Record<string, unknown> } }> };
    };
    expect(doc.asyncapi).toBe('3.0.0');
    expect(
      Object.values(doc.channels)
        .map((c) => c.address)
        .sort(),
    ).toEqual(eventRegistry.types());
    for (const message of Object.values(doc.components.messages)) {
      expect(Object.keys(message.payload.properties)).toEqual(
        expect.arrayContaining(['id', 'type', 'tenantId', 'correlationId', 'data']),
      );
    }
  });
});
