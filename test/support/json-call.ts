/** A JSON answer of the API server: status code and parsed body (undefined when empty). */
export interface JsonAnswer {
  readonly status: number;
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary fields of API answers
  readonly body: any;
}

/** A `fetch` caller of a plain-HTTP test API server whose URL may change (restarts). */
export function jsonCaller(url: () => string) {
  return async (method: string, path: string, body?: unknown): Promise<JsonAnswer> => {
    const res = await fetch(`${url()}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
}
