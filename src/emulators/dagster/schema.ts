import { buildSchema, type GraphQLSchema } from 'graphql';

/**
 * The part of Dagster's GraphQL schema the emulator serves, written for it: the same type, field, argument,
 * enum and union names, types and nullability as Dagster's (a subset of the fields, members and values),
 * for everything a monitor reads: the workspace, runs, step stats, the event log, captured logs, and
 * launching, re-executing (from failure) and terminating a run. schema.test.ts checks that it stays a subset of the official schema.
 */
const SDL = `
schema {
  query: Query
  mutation: Mutation
}

type Query {
  workspaceOrError: WorkspaceOrError!
  runsOrError(filter: RunsFilter, cursor: String, limit: Int): RunsOrError!
  runOrError(runId: ID!): RunOrError!
  logsForRun(runId: ID!, afterCursor: String, limit: Int): EventConnectionOrError!
  capturedLogs(logKey: [String!]!, cursor: String, limit: Int): CapturedLogs!
}

type Mutation {
  launchRun(executionParams: ExecutionParams!): LaunchRunResult!
  launchRunReexecution(
    executionParams: ExecutionParams
    reexecutionParams: ReexecutionParams
  ): LaunchRunReexecutionResult!
  terminateRun(runId: String!, terminatePolicy: TerminateRunPolicy): TerminateRunResult!
}

interface Error {
  message: String!
}

type PythonError implements Error {
  message: String!
  className: String
  stack: [String!]!
  cause: PythonError
  causes: [PythonError!]!
}

type UnauthorizedError implements Error {
  message: String!
}

# Workspace, code locations, repositories, jobs

union WorkspaceOrError = Workspace | PythonError

type Workspace {
  id: String!
  locationEntries: [WorkspaceLocationEntry!]!
}

type WorkspaceLocationEntry {
  id: ID!
  name: String!
  locationOrLoadError: RepositoryLocationOrLoadError
  loadStatus: RepositoryLocationLoadStatus!
  updatedTimestamp: Float!
}

enum RepositoryLocationLoadStatus {
  LOADING
  LOADED
}

union RepositoryLocationOrLoadError = RepositoryLocation | PythonError

type RepositoryLocation {
  id: ID!
  name: String!
  isReloadSupported: Boolean!
  repositories: [Repository!]!
}

type Repository {
  id: ID!
  name: String!
  location: RepositoryLocation!
  jobs: [Job!]!
}

type Job {
  id: ID!
  name: String!
  description: String
  __OWNERS__
  tags: [PipelineTag!]!
  runs(cursor: String, limit: Int): [Run!]!
  schedules: [Schedule!]!
  sensors: [Sensor!]!
  isJob: Boolean!
  isAssetJob: Boolean!
  repository: Repository!
}

union DefinitionOwner = UserDefinitionOwner | TeamDefinitionOwner

type UserDefinitionOwner {
  email: String!
}

type TeamDefinitionOwner {
  team: String!
}

type PipelineTag {
  key: String!
  value: String!
}

type Schedule {
  id: ID!
  name: String!
  cronSchedule: String!
  pipelineName: String!
  executionTimezone: String
  description: String
  scheduleState: InstigationState!
}

type Sensor {
  id: ID!
  name: String!
  description: String
  sensorState: InstigationState!
}

type InstigationState {
  id: ID!
  name: String!
  status: InstigationStatus!
  repositoryName: String!
  repositoryLocationName: String!
}

enum InstigationStatus {
  RUNNING
  STOPPED
}

# Runs

union RunsOrError = Runs | InvalidPipelineRunsFilterError | PythonError

type Runs {
  results: [Run!]!
  count: Int
}

type InvalidPipelineRunsFilterError implements Error {
  message: String!
}

input RunsFilter {
  runIds: [String]
  pipelineName: String
  tags: [ExecutionTag!]
  statuses: [RunStatus!]
  updatedAfter: Float
  updatedBefore: Float
  createdBefore: Float
  createdAfter: Float
}

input ExecutionTag {
  key: String!
  value: String!
}

enum RunStatus {
  QUEUED
  NOT_STARTED
  MANAGED
  STARTING
  STARTED
  SUCCESS
  FAILURE
  CANCELING
  CANCELED
}

union RunOrError = Run | RunNotFoundError | PythonError

type RunNotFoundError implements Error {
  runId: String!
  message: String!
}

type Run {
  id: ID!
  runId: String!
  repositoryOrigin: RepositoryOrigin
  status: RunStatus!
  pipelineName: String!
  jobName: String!
  stepStats: [RunStepStats!]!
  runConfigYaml: String!
  mode: String!
  tags: [PipelineTag!]!
  rootRunId: String
  parentRunId: String
  canTerminate: Boolean!
  creationTime: Float!
  startTime: Float
  endTime: Float
  updateTime: Float
}

type RepositoryOrigin {
  id: String!
  repositoryLocationName: String!
  repositoryName: String!
}

type RunStepStats {
  runId: String!
  stepKey: String!
  status: StepEventStatus
  startTime: Float
  endTime: Float
  attempts: [RunMarker!]!
  markers: [RunMarker!]!
}

type RunMarker {
  startTime: Float
  endTime: Float
}

enum StepEventStatus {
  SKIPPED
  SUCCESS
  FAILURE
  IN_PROGRESS
}

# The structured event log

union EventConnectionOrError = EventConnection | RunNotFoundError | PythonError

type EventConnection {
  events: [DagsterRunEvent!]!
  cursor: String!
  hasMore: Boolean!
}

union DagsterRunEvent =
  | ExecutionStepFailureEvent
  | ExecutionStepStartEvent
  | ExecutionStepSuccessEvent
  | ExecutionStepUpForRetryEvent
  | ExecutionStepRestartEvent
  | LogMessageEvent
  | RunFailureEvent
  | RunStartEvent
  | RunEnqueuedEvent
  | RunStartingEvent
  | RunSuccessEvent
  | LogsCapturedEvent
  | EngineEvent

interface MessageEvent {
  runId: String!
  message: String!
  timestamp: String!
  level: LogLevel!
  stepKey: String
  solidHandleID: String
  eventType: DagsterEventType
}

interface StepEvent {
  stepKey: String
  solidHandleID: String
}

interface RunEvent {
  pipelineName: String!
}

interface ErrorEvent {
  error: PythonError
}

enum LogLevel {
  CRITICAL
  ERROR
  INFO
  WARNING
  DEBUG
}

enum DagsterEventType {
  STEP_FAILURE
  STEP_START
  STEP_SUCCESS
  STEP_UP_FOR_RETRY
  STEP_RESTARTED
  RUN_ENQUEUED
  RUN_STARTING
  RUN_START
  RUN_SUCCESS
  RUN_FAILURE
  ENGINE_EVENT
  LOGS_CAPTURED
}

enum ErrorSource {
  FRAMEWORK_ERROR
  USER_CODE_ERROR
  UNEXPECTED_ERROR
  INTERRUPT
}

type ExecutionStepFailureEvent implements MessageEvent & StepEvent & ErrorEvent {
  runId: String!
  message: String!
  timestamp: String!
  level: LogLevel!
  stepKey: String
  solidHandleID: String
  eventType: DagsterEventType
  error: PythonError
  errorSource: ErrorSource
}

type ExecutionStepUpForRetryEvent implements MessageEvent & StepEvent & ErrorEvent {
  runId: String!
  message: String!
  timestamp: String!
  level: LogLevel!
  stepKey: String
  solidHandleID: String
  eventType: DagsterEventType
  error: PythonError
  secondsToWait: Float
}

type ExecutionStepStartEvent implements MessageEvent & StepEvent {
  runId: String!
  message: String!
  timestamp: String!
  level: LogLevel!
  stepKey: String
  solidHandleID: String
  eventType: DagsterEventType
}

type ExecutionStepSuccessEvent implements MessageEvent & StepEvent {
  runId: String!
  message: String!
  timestamp: String!
  level: LogLevel!
  stepKey: String
  solidHandleID: String
  eventType: DagsterEventType
}

type ExecutionStepRestartEvent implements MessageEvent & StepEvent {
  runId: String!
  message: String!
  timestamp: String!
  level: LogLevel!
  stepKey: String
  solidHandleID: String
  eventType: DagsterEventType
}

type LogMessageEvent implements MessageEvent {
  runId: String!
  message: String!
  timestamp: String!
  level: LogLevel!
  stepKey: String
  solidHandleID: String
  eventType: DagsterEventType
}

type RunFailureEvent implements MessageEvent & RunEvent & ErrorEvent {
  runId: String!
  message: String!
  timestamp: String!
  level: LogLevel!
  stepKey: String
  solidHandleID: String
  eventType: DagsterEventType
  pipelineName: String!
  error: PythonError
}

type RunStartEvent implements MessageEvent & RunEvent {
  runId: String!
  message: String!
  timestamp: String!
  level: LogLevel!
  stepKey: String
  solidHandleID: String
  eventType: DagsterEventType
  pipelineName: String!
}

type RunEnqueuedEvent implements MessageEvent & RunEvent {
  runId: String!
  message: String!
  timestamp: String!
  level: LogLevel!
  stepKey: String
  solidHandleID: String
  eventType: DagsterEventType
  pipelineName: String!
}

type RunStartingEvent implements MessageEvent & RunEvent {
  runId: String!
  message: String!
  timestamp: String!
  level: LogLevel!
  stepKey: String
  solidHandleID: String
  eventType: DagsterEventType
  pipelineName: String!
}

type RunSuccessEvent implements MessageEvent & RunEvent {
  runId: String!
  message: String!
  timestamp: String!
  level: LogLevel!
  stepKey: String
  solidHandleID: String
  eventType: DagsterEventType
  pipelineName: String!
}

type LogsCapturedEvent implements MessageEvent {
  runId: String!
  message: String!
  timestamp: String!
  level: LogLevel!
  stepKey: String
  solidHandleID: String
  eventType: DagsterEventType
  fileKey: String!
  stepKeys: [String!]
  externalUrl: String
  externalStdoutUrl: String
  externalStderrUrl: String
  pid: Int
  logKey: String!
}

type EngineEvent implements MessageEvent & StepEvent & ErrorEvent {
  runId: String!
  message: String!
  timestamp: String!
  level: LogLevel!
  stepKey: String
  solidHandleID: String
  eventType: DagsterEventType
  label: String
  description: String
  markerStart: String
  markerEnd: String
  error: PythonError
}

type CapturedLogs {
  logKey: [String!]!
  stdout: String
  stderr: String
  cursor: String
}

# Launching a run

scalar RunConfigData

input ExecutionParams {
  selector: JobOrPipelineSelector!
  runConfigData: RunConfigData
  mode: String
  executionMetadata: ExecutionMetadata
  stepKeys: [String!]
  preset: String
}

input JobOrPipelineSelector {
  pipelineName: String
  jobName: String
  repositoryName: String!
  repositoryLocationName: String!
  solidSelection: [String!]
}

input ExecutionMetadata {
  tags: [ExecutionTag!]
  rootRunId: String
  parentRunId: String
}

union LaunchRunResult =
  | LaunchRunSuccess
  | InvalidStepError
  | InvalidOutputError
  | RunConfigValidationInvalid
  | PipelineNotFoundError
  | RunConflict
  | UnauthorizedError
  | PythonError
  | InvalidSubsetError
  | PresetNotFoundError
  | ConflictingExecutionParamsError
  | NoModeProvidedError

type LaunchRunSuccess {
  run: Run!
}

type InvalidStepError {
  invalidStepKey: String!
}

type InvalidOutputError {
  stepKey: String!
  invalidOutputName: String!
}

type RunConfigValidationInvalid {
  pipelineName: String!
  errors: [PipelineConfigValidationError!]!
}

interface PipelineConfigValidationError {
  message: String!
  path: [String!]!
  reason: EvaluationErrorReason!
}

type FieldNotDefinedConfigError implements PipelineConfigValidationError {
  message: String!
  path: [String!]!
  reason: EvaluationErrorReason!
  fieldName: String!
}

type RuntimeMismatchConfigError implements PipelineConfigValidationError {
  message: String!
  path: [String!]!
  reason: EvaluationErrorReason!
  valueRep: String
}

enum EvaluationErrorReason {
  RUNTIME_TYPE_MISMATCH
  MISSING_REQUIRED_FIELD
  MISSING_REQUIRED_FIELDS
  FIELD_NOT_DEFINED
  FIELDS_NOT_DEFINED
  SELECTOR_FIELD_ERROR
}

type PipelineNotFoundError implements Error {
  message: String!
  pipelineName: String!
  repositoryName: String!
  repositoryLocationName: String!
}

type RunConflict implements Error {
  message: String!
}

type InvalidSubsetError implements Error {
  message: String!
}

type PresetNotFoundError implements Error {
  message: String!
  preset: String!
}

type ConflictingExecutionParamsError implements Error {
  message: String!
}

type NoModeProvidedError implements Error {
  message: String!
  pipelineName: String!
}

# Re-executing a run

input ReexecutionParams {
  parentRunId: String!
  strategy: ReexecutionStrategy!
  extraTags: [ExecutionTag!]
  useParentRunTags: Boolean
}

enum ReexecutionStrategy {
  FROM_ASSET_FAILURE
  FROM_FAILURE
  ALL_STEPS
}

union LaunchRunReexecutionResult =
  | LaunchRunSuccess
  | InvalidStepError
  | InvalidOutputError
  | RunConfigValidationInvalid
  | PipelineNotFoundError
  | RunConflict
  | UnauthorizedError
  | PythonError
  | InvalidSubsetError
  | PresetNotFoundError
  | ConflictingExecutionParamsError
  | NoModeProvidedError

# Terminating a run

enum TerminateRunPolicy {
  SAFE_TERMINATE
  MARK_AS_CANCELED_IMMEDIATELY
}

union TerminateRunResult =
  | TerminateRunSuccess
  | TerminateRunFailure
  | RunNotFoundError
  | UnauthorizedError
  | PythonError

interface TerminatePipelineExecutionSuccess {
  run: Run!
}

interface TerminatePipelineExecutionFailure {
  run: Run!
  message: String!
}

type TerminateRunSuccess implements TerminatePipelineExecutionSuccess {
  run: Run!
}

type TerminateRunFailure implements TerminatePipelineExecutionFailure {
  run: Run!
  message: String!
}
`;

const OWNERS_FIELD = 'owners: [DefinitionOwner!]!';

/** Which Dagster the schema speaks: the current one, or one from before `Job.owners` existed. */
export type DagsterSchemaVariant = 'current' | 'without-job-owners';

/** The subset's SDL, for a variant. */
export function dagsterSubsetSdl(variant: DagsterSchemaVariant = 'current'): string {
  return SDL.replace('__OWNERS__', variant === 'current' ? OWNERS_FIELD : '');
}

const cache = new Map<DagsterSchemaVariant, GraphQLSchema>();

export function dagsterSubsetSchema(variant: DagsterSchemaVariant = 'current'): GraphQLSchema {
  let schema = cache.get(variant);
  if (!schema) {
    schema = buildSchema(dagsterSubsetSdl(variant));
    cache.set(variant, schema);
  }
  return schema;
}
