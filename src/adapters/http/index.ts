export {
  HttpClient,
  describeZodError,
  extractDetail,
  sanitizeText,
  tlsConnectOptions,
  type HttpClientOptions,
  type HttpTlsOptions,
  type HttpMethod,
  type HttpRequestSpec,
  type HttpResponse,
  type QueryScalar,
  type QueryValue,
} from './http-client.js';
export { mapWithConcurrency } from '../../core/concurrency.js';
