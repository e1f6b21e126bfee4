export {
  HttpClient,
  describeZodError,
  extractDetail,
  sanitizeText,
  type HttpClientOptions,
  type HttpMethod,
  type HttpRequestSpec,
  type HttpResponse,
  type QueryScalar,
  type QueryValue,
} from './http-client.js';
export { mapWithConcurrency } from './concurrency.js';
