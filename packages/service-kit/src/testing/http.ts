/** A small JSON client for tests that call a service over real HTTP. */
export interface TestResponse {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON
  headers: Headers;
}

export interface CallOptions {
  token?: string;
  body?: unknown;
  headers?: Record<string, string>;
}

export function createTestClient(url: string) {
  const call = async (method: string, path: string, opts: CallOptions = {}): Promise<TestResponse> => {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: {
        ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
        ...opts.headers,
      },
      ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
    });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      /* not JSON */
    }
    return { status: res.status, body, headers: res.headers };
  };
  const withToken = (token?: string) => (token ? { token } : {});
  return {
    call,
    get: (path: string, token?: string) => call('GET', path, withToken(token)),
    post: (path: string, body: unknown, token?: string) => call('POST', path, { body, ...withToken(token) }),
    put: (path: string, body: unknown, token?: string) => call('PUT', path, { body, ...withToken(token) }),
    patch: (path: string, body: unknown, token?: string) =>
      call('PATCH', path, { body, ...withToken(token) }),
    del: (path: string, token?: string) => call('DELETE', path, withToken(token)),
  };
}
