export {
  DEFAULT_MAX_STREAM_BYTES,
  HttpClient,
  describeZodError,
  extractDetail,
  sanitizeText,
  tlsConnectOptions,
  type HttpClientOptions,
  type HttpTlsOptions,
  type HttpHeaders,
  type HttpMethod,
  type HttpRequestSpec,
  type HttpResponse,
  type HttpStreamHandler,
  type HttpStreamOutcome,
  type HttpStreamSpec,
  type QueryScalar,
  type QueryValue,
  type StreamStop,
} from './http-client.js';
export { LineSplitter } from './lines.js';
export { mapWithConcurrency } from '../../core/concurrency.js';
export { resilienceOptions } from './resilience-options.js';
export { retryAfterMs, describeWait } from './retry-after.js';
