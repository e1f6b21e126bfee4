import { z } from 'zod';

/**
 * The parts of Dagster's GraphQL responses the adapter reads. Enums are plain strings so that a value added
 * by a newer Dagster maps to 'unknown' instead of failing; `…OrError` unions become `{ ok, value | error }`
 * after validation: the success member is checked field by field, every other member only needs a
 * `__typename` (and usually a `message`).
 */

const nullableString = z.string().nullish();
const nullableNumber = z.number().nullish();

export interface PythonErrorShape {
  __typename?: string | undefined;
  message: string;
  className?: string | null | undefined;
  stack?: string[] | null | undefined;
  cause?: PythonErrorShape | null | undefined;
}

export const PythonErrorSchema: z.ZodType<PythonErrorShape> = z.lazy(() =>
  z.object({
    __typename: z.string().optional(),
    message: z.string(),
    className: nullableString,
    stack: z.array(z.string()).nullish(),
    cause: PythonErrorSchema.nullish(),
  }),
);

/** Any member of an `…OrError` union other than the expected one. */
export const ErrorMemberSchema = z.looseObject({
  __typename: z.string(),
  message: nullableString,
  className: nullableString,
  stack: z.array(z.string()).nullish(),
  cause: PythonErrorSchema.nullish(),
});
export type ErrorMember = z.infer<typeof ErrorMemberSchema>;

export type OrError<T> = { ok: true; value: T } | { ok: false; error: ErrorMember };

/** A union field whose `__typename` must be `typename` for success; anything else is an error member. */
export function orError<T>(typename: string, success: z.ZodType<T>): z.ZodType<OrError<T>> {
  return z.looseObject({ __typename: z.string() }).transform((value, ctx): OrError<T> => {
    const schema = value.__typename === typename ? success : ErrorMemberSchema;
    const result = schema.safeParse(value);
    if (!result.success) {
      for (const issue of result.error.issues) ctx.issues.push({ ...issue, input: undefined });
      return z.NEVER;
    }
    return value.__typename === typename
      ? { ok: true, value: result.data as T }
      : { ok: false, error: result.data as ErrorMember };
  }) as unknown as z.ZodType<OrError<T>>;
}

export const TagSchema = z.object({ key: z.string(), value: z.string() });
export type DagsterTag = z.infer<typeof TagSchema>;

export const RunSchema = z.object({
  runId: z.string(),
  jobName: z.string(),
  status: z.string(),
  creationTime: z.number(),
  startTime: nullableNumber,
  endTime: nullableNumber,
  updateTime: nullableNumber,
  tags: z.array(TagSchema),
  repositoryOrigin: z.object({ repositoryLocationName: z.string(), repositoryName: z.string() }).nullish(),
});
export type DagsterRun = z.infer<typeof RunSchema>;

const StateSchema = z.object({ status: z.string() });

export const ScheduleSchema = z.object({
  name: z.string(),
  cronSchedule: z.string(),
  executionTimezone: nullableString,
  scheduleState: StateSchema,
});
export type DagsterSchedule = z.infer<typeof ScheduleSchema>;

export const SensorSchema = z.object({ name: z.string(), sensorState: StateSchema });
export type DagsterSensor = z.infer<typeof SensorSchema>;

export const OwnerSchema = z.looseObject({
  __typename: z.string(),
  email: nullableString,
  team: nullableString,
});

export const JobSchema = z.object({
  name: z.string(),
  isAssetJob: z.boolean(),
  description: nullableString,
  tags: z.array(TagSchema).optional(),
  owners: z.array(OwnerSchema).optional(),
  schedules: z.array(ScheduleSchema).optional(),
  sensors: z.array(SensorSchema).optional(),
  runs: z.array(RunSchema).optional(),
});
export type DagsterJob = z.infer<typeof JobSchema>;

export const RepositoryLocationSchema = z.object({
  name: z.string(),
  repositories: z.array(z.object({ name: z.string(), jobs: z.array(JobSchema) })),
});

export const LocationEntrySchema = z.object({
  name: z.string(),
  loadStatus: z.string(),
  locationOrLoadError: orError('RepositoryLocation', RepositoryLocationSchema).nullish(),
});
export type DagsterLocationEntry = z.infer<typeof LocationEntrySchema>;

export const WorkspaceDataSchema = z.object({
  workspaceOrError: orError('Workspace', z.object({ locationEntries: z.array(LocationEntrySchema) })),
});

export const StepStatSchema = z.object({
  stepKey: z.string(),
  status: nullableString,
  startTime: nullableNumber,
  endTime: nullableNumber,
  attempts: z.array(z.object({ startTime: nullableNumber, endTime: nullableNumber })).optional(),
});
export type DagsterStepStat = z.infer<typeof StepStatSchema>;

export const RunsDataSchema = z.object({
  runsOrError: orError(
    'Runs',
    z.object({
      count: z.number().int().nullish(),
      results: z.array(RunSchema.extend({ stepStats: z.array(StepStatSchema).optional() })),
    }),
  ),
});
export type DagsterRunWithSteps = DagsterRun & { stepStats?: DagsterStepStat[] | undefined };

export const RunDataSchema = z.object({
  runOrError: orError('Run', RunSchema.extend({ stepStats: z.array(StepStatSchema) })),
});

export const EventSchema = z.object({
  __typename: z.string(),
  message: nullableString,
  timestamp: nullableString,
  level: nullableString,
  stepKey: nullableString,
  eventType: nullableString,
  error: PythonErrorSchema.nullish(),
  fileKey: nullableString,
  stepKeys: z.array(z.string()).nullish(),
  externalStdoutUrl: nullableString,
  externalStderrUrl: nullableString,
});
export type DagsterEvent = z.infer<typeof EventSchema>;

export const RunEventsDataSchema = z.object({
  logsForRun: orError(
    'EventConnection',
    z.object({ cursor: z.string(), hasMore: z.boolean(), events: z.array(EventSchema) }),
  ),
});

export const CapturedLogsDataSchema = z.object({
  capturedLogs: z.object({ stdout: nullableString, stderr: nullableString, cursor: nullableString }),
});

export const LaunchRunDataSchema = z.object({
  launchRun: z.looseObject({
    __typename: z.string(),
    run: RunSchema.optional(),
    message: nullableString,
    errors: z.array(z.looseObject({ message: z.string(), reason: nullableString })).optional(),
    invalidStepKey: nullableString,
    stepKey: nullableString,
    invalidOutputName: nullableString,
  }),
});

export const LaunchRunReexecutionDataSchema = z.object({
  launchRunReexecution: LaunchRunDataSchema.shape.launchRun,
});

export const TerminateRunDataSchema = z.object({
  terminateRun: z.looseObject({
    __typename: z.string(),
    // Dagster's own client test mocks answer TerminateRunSuccess with `run: null`.
    run: RunSchema.nullish(),
    message: nullableString,
    runId: nullableString,
    className: nullableString,
    stack: z.array(z.string()).nullish(),
    cause: PythonErrorSchema.nullish(),
  }),
});

/** The GraphQL response envelope. */
export const GraphQLErrorSchema = z.looseObject({
  message: z.string(),
  path: z.array(z.union([z.string(), z.number()])).nullish(),
});
export const EnvelopeSchema = z.object({
  data: z.unknown().optional(),
  errors: z.array(GraphQLErrorSchema).nullish(),
});
