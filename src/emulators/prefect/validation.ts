import type { ValidationIssue } from './errors.js';
import { ValidationFailure } from './errors.js';
import { isUuid } from './ids.js';

/**
 * Request bodies validated the way Prefect's pydantic v2 models do: unknown fields of filter models
 * (`extra="forbid"`) are errors, types are checked, and every problem is reported with its `loc`.
 * Valid values come back normalized: datetimes as epoch milliseconds, UUIDs lower-cased.
 */

export type Spec =
  | { t: 'str' }
  | { t: 'uuid' }
  | { t: 'datetime' }
  | { t: 'bool' }
  | { t: 'int'; ge?: number }
  | { t: 'number' }
  | { t: 'enum'; values: readonly string[] }
  | { t: 'list'; of: Spec }
  | { t: 'dict' }
  | { t: 'any' }
  | { t: 'nullable'; of: Spec }
  | { t: 'model'; fields: Record<string, Spec>; required?: readonly string[] };

export const str: Spec = { t: 'str' };
export const uuid: Spec = { t: 'uuid' };
export const datetime: Spec = { t: 'datetime' };
export const bool: Spec = { t: 'bool' };
export const int: Spec = { t: 'int' };
export const dict: Spec = { t: 'dict' };
export const any: Spec = { t: 'any' };
export const list = (of: Spec): Spec => ({ t: 'list', of });
export const nullable = (of: Spec): Spec => ({ t: 'nullable', of });
export const oneOf = (values: readonly string[]): Spec => ({ t: 'enum', values });
/** A filter model: every field optional and nullable, extra fields forbidden. */
export const model = (fields: Record<string, Spec>, required: readonly string[] = []): Spec => ({
  t: 'model',
  fields,
  required,
});

export const STATE_TYPES = [
  'SCHEDULED',
  'PENDING',
  'RUNNING',
  'COMPLETED',
  'FAILED',
  'CANCELLED',
  'CRASHED',
  'PAUSED',
  'CANCELLING',
] as const;
export type StateType = (typeof STATE_TYPES)[number];

const operator = oneOf(['and_', 'or_']);
const op = { operator };
const n = nullable;
const uuids = n(list(uuid));
const strs = n(list(str));
const states = n(list(oneOf(STATE_TYPES)));
const timeRange = (withNull: boolean) =>
  model({ before_: n(datetime), after_: n(datetime), ...(withNull ? { is_null_: n(bool) } : {}) });

export const FLOW_FILTER = model({
  ...op,
  id: n(model({ any_: uuids, not_any_: uuids })),
  deployment: n(model({ ...op, is_null_: n(bool) })),
  name: n(model({ any_: strs, like_: n(str) })),
  tags: n(model({ ...op, all_: strs, is_null_: n(bool) })),
});

export const FLOW_RUN_FILTER = model({
  ...op,
  id: n(model({ any_: uuids, not_any_: uuids })),
  name: n(model({ any_: strs, like_: n(str) })),
  tags: n(model({ ...op, all_: strs, any_: strs, is_null_: n(bool) })),
  deployment_id: n(model({ ...op, any_: uuids, is_null_: n(bool) })),
  work_queue_name: n(model({ ...op, any_: strs, is_null_: n(bool) })),
  state: n(
    model({
      ...op,
      type: n(model({ any_: states, not_any_: states })),
      name: n(model({ any_: strs, not_any_: strs })),
    }),
  ),
  flow_version: n(model({ any_: strs })),
  start_time: n(timeRange(true)),
  end_time: n(timeRange(true)),
  expected_start_time: n(timeRange(false)),
  next_scheduled_start_time: n(timeRange(false)),
  parent_flow_run_id: n(model({ ...op, any_: uuids })),
  parent_task_run_id: n(model({ ...op, any_: uuids, is_null_: n(bool) })),
  idempotency_key: n(model({ any_: strs, not_any_: strs })),
  created_by: n(model({ ...op, id_: uuids, type_: strs, is_null_: n(bool) })),
});

export const TASK_RUN_FILTER = model({
  ...op,
  id: n(model({ any_: uuids })),
  name: n(model({ any_: strs, like_: n(str) })),
  tags: n(model({ ...op, all_: strs, is_null_: n(bool) })),
  state: n(model({ ...op, type: n(model({ any_: states })), name: n(model({ any_: strs })) })),
  start_time: n(timeRange(true)),
  end_time: n(timeRange(true)),
  expected_start_time: n(timeRange(false)),
  subflow_runs: n(model({ exists_: n(bool) })),
  flow_run_id: n(model({ ...op, any_: uuids, is_null_: n(bool) })),
});

export const DEPLOYMENT_FILTER = model({
  ...op,
  id: n(model({ any_: uuids, not_any_: uuids })),
  name: n(model({ any_: strs, like_: n(str) })),
  flow_or_deployment_name: n(model({ like_: n(str) })),
  paused: n(model({ eq_: n(bool) })),
  tags: n(model({ ...op, all_: strs, any_: strs, is_null_: n(bool) })),
  work_queue_name: n(model({ any_: strs })),
  concurrency_limit: n(model({ ge_: n(int), le_: n(int), is_null_: n(bool) })),
});

export const LOG_FILTER = model({
  ...op,
  level: n(model({ ge_: n(int), le_: n(int) })),
  timestamp: n(timeRange(false)),
  flow_run_id: n(model({ any_: uuids })),
  task_run_id: n(model({ any_: uuids, is_null_: n(bool) })),
  text: n(model({ query: str }, ['query'])),
});

export const WORK_POOL_FILTER = model({
  ...op,
  id: n(model({ any_: uuids })),
  name: n(model({ any_: strs })),
  type: n(model({ any_: strs })),
});

export const WORK_QUEUE_FILTER = model({
  ...op,
  id: n(model({ any_: uuids })),
  name: n(model({ any_: strs, startswith_: strs })),
});

export const FLOW_RUN_SORTS = [
  'ID_DESC',
  'START_TIME_ASC',
  'START_TIME_DESC',
  'EXPECTED_START_TIME_ASC',
  'EXPECTED_START_TIME_DESC',
  'NAME_ASC',
  'NAME_DESC',
  'NEXT_SCHEDULED_START_TIME_ASC',
  'END_TIME_DESC',
] as const;
export const TASK_RUN_SORTS = [
  'ID_DESC',
  'EXPECTED_START_TIME_ASC',
  'EXPECTED_START_TIME_DESC',
  'NAME_ASC',
  'NAME_DESC',
  'NEXT_SCHEDULED_START_TIME_ASC',
  'END_TIME_DESC',
] as const;
export const DEPLOYMENT_SORTS = ['CREATED_DESC', 'UPDATED_DESC', 'NAME_ASC', 'NAME_DESC'] as const;
export const FLOW_SORTS = DEPLOYMENT_SORTS;
export const LOG_SORTS = ['TIMESTAMP_ASC', 'TIMESTAMP_DESC'] as const;

/** The embedded body parameters of each filter endpoint (FastAPI ignores any other top-level key). */
const joins = {
  flows: n(FLOW_FILTER),
  flow_runs: n(FLOW_RUN_FILTER),
  task_runs: n(TASK_RUN_FILTER),
  deployments: n(DEPLOYMENT_FILTER),
  work_pools: n(WORK_POOL_FILTER),
};
const paging = { offset: { t: 'int', ge: 0 } as Spec, limit: n(int) };

export const BODIES = {
  deploymentsFilter: {
    ...joins,
    work_pool_queues: n(WORK_QUEUE_FILTER),
    ...paging,
    sort: oneOf(DEPLOYMENT_SORTS),
  },
  flowsFilter: { ...joins, ...paging, sort: oneOf(FLOW_SORTS) },
  flowRunsFilter: {
    ...joins,
    work_pool_queues: n(WORK_QUEUE_FILTER),
    ...paging,
    sort: oneOf(FLOW_RUN_SORTS),
  },
  flowRunsCount: { ...joins, work_pool_queues: n(WORK_QUEUE_FILTER) },
  taskRunsFilter: {
    flows: joins.flows,
    flow_runs: joins.flow_runs,
    task_runs: joins.task_runs,
    deployments: joins.deployments,
    ...paging,
    sort: oneOf(TASK_RUN_SORTS),
  },
  logsFilter: { logs: n(LOG_FILTER), ...paging, sort: oneOf(LOG_SORTS) },
} satisfies Record<string, Record<string, Spec>>;

const STATE_CREATE = model(
  {
    type: oneOf(STATE_TYPES),
    name: n(str),
    message: n(str),
    data: any,
    state_details: dict,
  },
  ['type'],
);

/** Body of `POST /flow_runs/{id}/set_state`. */
export const FLOW_RUN_SET_STATE = model({ state: STATE_CREATE, force: bool }, ['state']);

/** DeploymentFlowRunCreate (`extra="forbid"`). */
export const DEPLOYMENT_FLOW_RUN_CREATE = model({
  state: n(STATE_CREATE),
  name: str,
  parameters: dict,
  enforce_parameter_schema: n(bool),
  context: dict,
  infrastructure_document_id: n(uuid),
  empirical_policy: dict,
  tags: list(str),
  idempotency_key: n(str),
  labels: n(dict),
  parent_task_run_id: n(uuid),
  work_queue_name: n(str),
  job_variables: n(dict),
});

/** Reads the raw request text as JSON; an empty body is `{}` for the embedded-parameter endpoints. */
export function parseJson(text: string, emptyAs: unknown): unknown {
  if (text.trim() === '') return emptyAs;
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    const position = /position (\d+)/.exec(String(e))?.[1];
    throw new ValidationFailure([
      {
        type: 'json_invalid',
        loc: ['body', Number(position ?? 0)],
        msg: 'JSON decode error',
        input: {},
        ctx: { error: 'Expecting value' },
      },
    ]);
  }
}

/**
 * Validates a body of embedded parameters (each top-level key is one FastAPI Body parameter; others are
 * ignored, as FastAPI does). Throws ValidationFailure with every issue.
 */
export function validateEmbedded(body: unknown, fields: Record<string, Spec>): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ValidationFailure(
      Object.keys(fields)
        .slice(0, 1)
        .map((name) => ({
          type: 'model_attributes_type',
          loc: ['body', name],
          msg: 'Input should be a valid dictionary or object to extract fields from',
          input: body,
        })),
    );
  }
  const issues: ValidationIssue[] = [];
  const input = body as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(fields)) {
    if (!(name in input)) continue;
    out[name] = check(input[name], spec, ['body', name], issues);
  }
  if (issues.length > 0) throw new ValidationFailure(issues);
  return out;
}

/** Validates a whole body against one model (a single, non-embedded Body parameter). */
export function validateModel(body: unknown, spec: Spec): Record<string, unknown> {
  const issues: ValidationIssue[] = [];
  const out = check(body, spec, ['body'], issues);
  if (issues.length > 0) throw new ValidationFailure(issues);
  return out as Record<string, unknown>;
}

function expectedList(values: readonly string[]): string {
  const quoted = values.map((v) => `'${v}'`);
  if (quoted.length <= 1) return quoted.join('');
  return `${quoted.slice(0, -1).join(', ')} or ${quoted[quoted.length - 1]}`;
}

const ISO_DATETIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$/i;

function check(value: unknown, spec: Spec, loc: (string | number)[], issues: ValidationIssue[]): unknown {
  const fail = (type: string, msg: string, ctx?: Record<string, unknown>) => {
    issues.push({ type, loc, msg, input: value, ...(ctx ? { ctx } : {}) });
    return undefined;
  };
  switch (spec.t) {
    case 'any':
      return value;
    case 'nullable':
      return value === null ? null : check(value, spec.of, loc, issues);
    case 'str':
      return typeof value === 'string' ? value : fail('string_type', 'Input should be a valid string');
    case 'uuid':
      if (typeof value !== 'string')
        return fail('uuid_type', 'UUID input should be a string, bytes or UUID object');
      return isUuid(value)
        ? value.toLowerCase()
        : fail(
            'uuid_parsing',
            `Input should be a valid UUID, invalid length: expected length 32 for simple format, found ${value.length}`,
            {
              error: `invalid length: expected length 32 for simple format, found ${value.length}`,
            },
          );
    case 'datetime': {
      if (typeof value === 'number' && Number.isFinite(value)) return value * 1000;
      if (typeof value !== 'string') return fail('datetime_type', 'Input should be a valid datetime');
      const ms = ISO_DATETIME.test(value.trim()) ? Date.parse(value.trim().replace(' ', 'T')) : Number.NaN;
      return Number.isFinite(ms)
        ? ms
        : fail(
            'datetime_from_date_parsing',
            'Input should be a valid datetime or date, invalid character in year',
            {
              error: 'invalid character in year',
            },
          );
    }
    case 'bool':
      if (typeof value === 'boolean') return value;
      if (value === 'true' || value === 1) return true;
      if (value === 'false' || value === 0) return false;
      return fail('bool_parsing', 'Input should be a valid boolean, unable to interpret input');
    case 'int':
    case 'number': {
      const num = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
      if (typeof num !== 'number' || !Number.isFinite(num) || typeof value === 'boolean') {
        return spec.t === 'int'
          ? fail(
              typeof value === 'string' ? 'int_parsing' : 'int_type',
              'Input should be a valid integer, unable to parse string as an integer',
            )
          : fail('float_type', 'Input should be a valid number');
      }
      if (spec.t === 'int' && !Number.isInteger(num)) {
        return fail('int_from_float', 'Input should be a valid integer, got a number with a fractional part');
      }
      if (spec.t === 'int' && spec.ge !== undefined && num < spec.ge) {
        return fail('greater_than_equal', `Input should be greater than or equal to ${spec.ge}`, {
          ge: spec.ge,
        });
      }
      return num;
    }
    case 'enum': {
      if (typeof value === 'string' && spec.values.includes(value)) return value;
      const expected = expectedList(spec.values);
      return fail('enum', `Input should be ${expected}`, { expected });
    }
    case 'list': {
      if (!Array.isArray(value)) return fail('list_type', 'Input should be a valid list');
      return value.map((item, i) => check(item, spec.of, [...loc, i], issues));
    }
    case 'dict':
      return typeof value === 'object' && value !== null && !Array.isArray(value)
        ? value
        : fail('dict_type', 'Input should be a valid dictionary');
    case 'model': {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        return fail(
          'model_attributes_type',
          'Input should be a valid dictionary or object to extract fields from',
        );
      }
      const input = value as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const name of spec.required ?? []) {
        if (!(name in input))
          issues.push({ type: 'missing', loc: [...loc, name], msg: 'Field required', input });
      }
      for (const [name, item] of Object.entries(input)) {
        const field = spec.fields[name];
        if (!field) {
          issues.push({
            type: 'extra_forbidden',
            loc: [...loc, name],
            msg: 'Extra inputs are not permitted',
            input: item,
          });
          continue;
        }
        out[name] = check(item, field, [...loc, name], issues);
      }
      return out;
    }
  }
}
