import { ApiError, describeError, isAbortError, networkError, parseApiError, parseJsonBody } from '../../frontend/src/lib/api-error';

describe('parseApiError', () => {
  it('reads the server error envelope, with field and correlation id', () => {
    const err = parseApiError(400, {
      error: { code: 'bad_request', message: 'must be an ISO 4217 code such as EUR', field: 'services.0.currency', correlationId: 'c-123' },
    });
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({
      status: 400,
      code: 'bad_request',
      message: 'must be an ISO 4217 code such as EUR',
      field: 'services.0.currency',
      correlationId: 'c-123',
    });
  });

  it('fills a missing code or message from the status', () => {
    expect(parseApiError(403, { error: {} })).toMatchObject({ code: 'http_403', message: 'You do not have permission to do that.' });
    expect(parseApiError(500, { error: { code: 'internal', message: '' } })).toMatchObject({
      code: 'internal',
      message: 'The server had a problem. Try again in a moment.',
    });
  });

  it('maps bodies without the envelope (API Gateway, HTML pages) by status', () => {
    expect(parseApiError(401, { message: 'Unauthorized' })).toMatchObject({
      status: 401,
      code: 'http_401',
      message: 'Your session has expired. Sign out and sign in again.',
    });
    expect(parseApiError(502, undefined)).toMatchObject({ code: 'http_502', message: 'The server had a problem. Try again in a moment.' });
    expect(parseApiError(418, 'teapot').message).toBe('The server answered with status 418.');
  });

  it('ignores non-string field and correlation id', () => {
    const err = parseApiError(400, { error: { code: 'bad_request', message: 'no', field: 3, correlationId: null } });
    expect(err.field).toBeUndefined();
    expect(err.correlationId).toBeUndefined();
  });
});

describe('describeError', () => {
  it('shows what the user needs from any thrown value', () => {
    expect(describeError(parseApiError(400, { error: { code: 'x', message: 'Bad', field: 'faqs.2.id' } }))).toEqual({ message: 'Bad', field: 'faqs.2.id' });
    expect(describeError(networkError())).toEqual({ message: 'Could not reach the server. Check your connection and try again.' });
    expect(describeError(new Error('boom'))).toEqual({ message: 'boom' });
    expect(describeError('??')).toEqual({ message: 'Something went wrong.' });
  });
});

describe('helpers', () => {
  it('parses JSON bodies leniently', () => {
    expect(parseJsonBody('{"a":1}')).toEqual({ a: 1 });
    expect(parseJsonBody('')).toBeUndefined();
    expect(parseJsonBody('<html>')).toBeUndefined();
  });

  it('recognises aborted requests', () => {
    expect(isAbortError(new DOMException('aborted', 'AbortError'))).toBe(true);
    expect(isAbortError(new Error('x'))).toBe(false);
    expect(isAbortError(undefined)).toBe(false);
  });
});
