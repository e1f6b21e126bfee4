/**
 * Airflow 2's `/api/v1` errors: connexion problem details (RFC 7807) `{detail, status, title, type}`, sent as
 * `application/problem+json`. `type` links Airflow's docs for the statuses it knows; `detail` is null when
 * Airflow raises the exception with a title only (401, 403, "TaskInstance not found", bad page limit…).
 */

/** The Airflow 2 release the `/api/v1` emulator claims to be. */
export const AIRFLOW_V1_VERSION = '2.10.5';

const DOCS = `https://airflow.apache.org/docs/apache-airflow/${AIRFLOW_V1_VERSION}/stable-rest-api-ref.html`;

/** airflow.api_connexion.exceptions.EXCEPTIONS_LINK_MAP */
const SECTIONS: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthenticated',
  403: 'PermissionDenied',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  409: 'AlreadyExists',
  500: 'Unknown',
};

export function problemType(status: number): string {
  const section = SECTIONS[status];
  return section ? `${DOCS}#section/Errors/${section}` : 'about:blank';
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  415: 'Unsupported Media Type',
  500: 'Internal Server Error',
};

export function defaultTitle(status: number): string {
  return TITLES[status] ?? 'Error';
}

export class Problem extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string | null = null,
    readonly headers: Record<string, string> = {},
  ) {
    super(detail ?? title);
  }

  body(): { detail: string | null; status: number; title: string; type: string } {
    return { detail: this.detail, status: this.status, title: this.title, type: problemType(this.status) };
  }

  response(): Response {
    return new Response(JSON.stringify(this.body()), {
      status: this.status,
      headers: { 'content-type': 'application/problem+json', ...this.headers },
    });
  }
}

/** `BadRequest(title, detail)`: note Airflow's first positional argument is the title. */
export function badRequest(detail: string | null, title = 'Bad Request'): Problem {
  return new Problem(400, title, detail);
}

export function notFound(title: string, detail: string | null = null): Problem {
  return new Problem(404, title, detail);
}

export function alreadyExists(detail: string): Problem {
  return new Problem(409, 'Conflict', detail);
}

/** What check_authentication raises when no auth backend accepts the request. */
export function unauthenticated(): Problem {
  return new Problem(401, 'Unauthorized', null, { 'WWW-Authenticate': 'Basic' });
}

export function permissionDenied(): Problem {
  return new Problem(403, 'Forbidden', null);
}

/** Werkzeug's description of a URL no route matches, as the API's 404 handler reports it. */
export const NOT_FOUND_DESCRIPTION =
  'The requested URL was not found on the server. If you entered the URL manually please check your spelling and try again.';

export const METHOD_NOT_ALLOWED_DESCRIPTION = 'The method is not allowed for the requested URL.';

/** The webserver's own 404 page, for paths outside `/api/v1` (an Airflow 2 webserver has no `/api/v2`). */
export function htmlNotFound(): Response {
  const body = `<!DOCTYPE html>
<html lang="en">
  <head>
    <title>Airflow 404 = lots of circles</title>
    <link rel="icon" type="image/png" href="/static/pin_32.png">
  </head>
  <body>
    <div class="container">
      <h1> Airflow 404 = lots of circles </h1>
      <p>Page cannot be found.</p>
      <a href="/">Return to the main page</a>
    </div>
  </body>
</html>
`;
  return new Response(body, { status: 404, headers: { 'content-type': 'text/html; charset=utf-8' } });
}

/** The webserver's 500 page ("Ooops!"), which an unhandled exception in an API view produces. */
export function htmlServerError(): Response {
  const body = `<!DOCTYPE html>
<html lang="en">
  <head><title>Airflow</title></head>
  <body>
    <div class="container">
      <h1> Ooops! </h1>
      <div>
        <pre>
Something bad has happened. For security reasons detailed information about the error is not logged.

  * You should check your webserver logs and retrieve details of this error.

  * When you get the logs, it might explain the reasons, you should also Look for similar issues using:

     * <b><a href="https://github.com/apache/airflow/discussions">GitHub Discussions</a></b>
     * <b><a href="https://github.com/apache/airflow/issues">GitHub Issues</a></b>
     * <b><a href="https://stackoverflow.com/questions/tagged/airflow">Stack Overflow</a></b>
     * the usual search engine you use on a daily basis

  * if you run Airflow on a Managed Service, consider opening an issue using the service support channels

Python version: 3.12.8
Airflow version: ${AIRFLOW_V1_VERSION}
Node: airflow-webserver
-------------------------------------------------------------------------------
Error! Please contact server admin.</pre>
      </div>
    </div>
  </body>
</html>
`;
  return new Response(body, { status: 500, headers: { 'content-type': 'text/html; charset=utf-8' } });
}
