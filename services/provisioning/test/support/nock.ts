import nock from 'nock';

/**
 * nock for one test file: panels only (loopback stays reachable for our own service), and fully undone
 * afterwards — a file that leaves its interceptor installed breaks the next file run in the same worker.
 */
export function usePanelNock(): void {
  beforeAll(() => {
    if (!nock.isActive()) nock.activate();
    nock.disableNetConnect();
    nock.enableNetConnect((host) => host.startsWith('127.0.0.1') || host.startsWith('localhost'));
  });
  afterEach(() => nock.cleanAll());
  afterAll(() => {
    nock.cleanAll();
    nock.enableNetConnect();
    nock.restore();
  });
}
